"""Data access: the only modules that touch DynamoDB and Secrets Manager."""
