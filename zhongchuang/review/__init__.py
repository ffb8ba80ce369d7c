"""The reviewers' work: queues, batch actions, experts, exports."""
