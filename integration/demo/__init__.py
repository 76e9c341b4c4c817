"""The demo storefront and the "play Dr Green" control page (mounted only with DRGREEN_DEMO)."""
