"""The product's own records (shops, settings, tokens), as pydantic models shared by API, jobs and storage."""
