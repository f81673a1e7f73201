"""What several test modules share: tiny data sets, made-up result rows, plugins written as text."""
