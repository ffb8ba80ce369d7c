"""Statistics (统计) and their charts."""
