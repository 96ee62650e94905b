"""The scheduler (Nova's filter scheduler): allocation candidates from Placement -> host
states -> filters -> weighers -> a claim. One filter or weigher a file."""
