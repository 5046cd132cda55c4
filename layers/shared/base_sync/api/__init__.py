"""HTTP concerns shared by the API handlers: error bodies, request models, the callback's pages."""
