#!/bin/sh
# Generates the origin's bundled test media with Debian's ffmpeg.
#
# Output layout (one file per format, like YouTube's adaptive formats):
#   <videoId>/<itag>.mp4  - fragmented MP4: ftyp+moov (init range), one global
#                           sidx v1 (index range), then moof/mdat pairs, no trailer.
#
# Titles:
#   sabrOrigin1  ~60 s   video itags 160 (144p), 133 (240p), 134 (360p); audio 140
#   sabrOrigin2  ~30 s   same itags, different picture colour and tone
#
# Video: H.264, 24 fps, fixed GOP of 48 frames => 2 s fragments; a running
# timestamp, the title, and the format label are burnt into the picture.
# Audio: AAC-LC 48 kHz mono, ~10 s fragments (-frag_duration 10 s).
#
# Re-run from the repository root:  sh tools/origin/media/generate.sh
# The outputs are committed; the media model (tools/origin/media-model.ts)
# derives every range and the segment table from the files themselves.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
FF="ffmpeg -hide_banner -loglevel error -y"
MOVFLAGS="+frag_keyframe+empty_moov+default_base_moof+global_sidx+dash+skip_trailer"
BITEXACT="-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact"

video() { # videoId duration itag width height kbps label colour
  vid=$1 dur=$2 itag=$3 w=$4 h=$5 kbps=$6 label=$7 colour=$8
  if [ -f "$FONT" ]; then
    fs=$((h / 8))
    draw="drawbox=x=0:y=0:w=iw:h=ih/4:color=${colour}@0.8:t=fill,drawtext=fontfile=${FONT}:fontsize=${fs}:fontcolor=white:x=4:y=4:text='${vid} ${label} %{pts\\:hms}'"
    vf="testsrc2=size=${w}x${h}:rate=24:duration=${dur},${draw},format=yuv420p"
  else
    vf="testsrc2=size=${w}x${h}:rate=24:duration=${dur},format=yuv420p"
  fi
  $FF -f lavfi -i "$vf" -c:v libx264 -profile:v main -preset veryfast \
    -b:v ${kbps}k -maxrate ${kbps}k -bufsize $((kbps * 2))k \
    -g 48 -keyint_min 48 -sc_threshold 0 -bf 0 -an $BITEXACT \
    -movflags "$MOVFLAGS" -f mp4 "$HERE/$vid/$itag.mp4"
}

audio() { # videoId duration itag freq
  vid=$1 dur=$2 itag=$3 freq=$4
  $FF -f lavfi -i "sine=frequency=${freq}:beep_factor=4:sample_rate=48000:duration=${dur}" \
    -c:a aac -b:a 48k -ac 1 -ar 48000 -vn $BITEXACT \
    -frag_duration 10000000 -movflags "$MOVFLAGS" -f mp4 "$HERE/$vid/$itag.mp4"
}

title() { # videoId duration colour freq
  vid=$1 dur=$2 colour=$3 freq=$4
  mkdir -p "$HERE/$vid"
  video "$vid" "$dur" 160 256 144 40 144p "$colour"
  video "$vid" "$dur" 133 426 240 70 240p "$colour"
  video "$vid" "$dur" 134 640 360 120 360p "$colour"
  audio "$vid" "$dur" 140 "$freq"
}

title sabrOrigin1 60 navy 440
title sabrOrigin2 30 darkred 660
du -ab "$HERE" | tail -1
