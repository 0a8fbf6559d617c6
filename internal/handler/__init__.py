"""HTTP handlers, one module per group of endpoints: each method parses its request through
`@endpoint`, calls one service method and wraps the result in the response envelope."""
