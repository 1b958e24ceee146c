"""The ways in: HTTP app and widget pages, Slack and Mattermost, the CLI."""
