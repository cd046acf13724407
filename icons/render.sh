#!/bin/sh
# Regenerates every raster icon from the two SVG sources. Run from anywhere:
#   icons/render.sh
# Needs (Debian/Ubuntu): apt-get install librsvg2-bin imagemagick icnsutils
set -eu
cd "$(dirname "$0")"

# 16, 24 and 32 px come from parlance-small.svg, drawn on a 16-unit pixel grid;
# the larger sizes come from parlance.svg.
mkdir -p png
for size in 16 24 32; do
    rsvg-convert -w "$size" -h "$size" parlance-small.svg -o "png/parlance-$size.png"
done
for size in 48 64 128 256 512 1024; do
    rsvg-convert -w "$size" -h "$size" parlance.svg -o "png/parlance-$size.png"
done

# Linux (.deb and the desktop entry): one 512 px PNG.
cp png/parlance-512.png parlance.png

# Windows: one .ico holding the sizes Explorer and the taskbar ask for.
convert png/parlance-16.png png/parlance-24.png png/parlance-32.png png/parlance-48.png \
    png/parlance-64.png png/parlance-256.png parlance.ico

# macOS: an .icns with the sizes Finder and the Dock use, up to 1024 px for Retina.
png2icns parlance.icns png/parlance-16.png png/parlance-32.png png/parlance-48.png \
    png/parlance-128.png png/parlance-256.png png/parlance-512.png png/parlance-1024.png

# The window icon the app sets on its stage.
cp png/parlance-256.png ../src/main/resources/dev/parlance/ui/icon.png
