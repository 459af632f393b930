"""JSON API (/api/v1) with its OpenAPI document, personal API tokens and list import."""
