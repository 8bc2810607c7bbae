"""What the shop tells the world: order and catalog change notices (`events`)."""
