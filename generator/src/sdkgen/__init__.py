"""sdkgen: OpenAPI 3.1 -> IR -> Python, TypeScript and Go client SDKs."""

__version__ = "0.1.0"
