"""The game and its loop: losses, terms, tricks, kinds of game, the trainer."""
