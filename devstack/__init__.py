"""Run the product's AWS side on one machine: template.yaml read, its resources made on moto, its handlers loaded.

Used by the integration tests and the local run. Everything is derived from template.yaml so
that tests and the local run cannot drift from what `sam deploy` creates.
"""
