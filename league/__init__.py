"""The league's domain: racers, seasons and races with their rules."""
