"""sknn's test suite (a package, so ``tests`` here wins over any installed package of that name)."""
