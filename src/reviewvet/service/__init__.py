"""reviewvet as a long-running service: the configuration (``config``), the pool of warm
workspaces (``pool``) and the operations every front end serves (``core``); the HTTP API
(``http``) and the MCP server (``mcp_server``) are thin layers over ``core.Service``."""
