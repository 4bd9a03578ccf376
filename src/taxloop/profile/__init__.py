"""360° taxpayer profile (一户式画像)."""
