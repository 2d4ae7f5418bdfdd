"""A Facebook Page reel's own video limits, judged on what the video file says of itself: the
one check behind both validation (rule ``variant.format``) and the Facebook adapter, which
runs it again before it sends, so the two cannot disagree.

The figures are the Reels Publishing API's "Video specifications" table
(developers.facebook.com/docs/video-api/guides/reels-publishing): aspect ratio 9 x 16,
1080 x 1920 recommended and "Minimum is 540 x 960 pixels", "24 to 60 frames per second",
"3 to 90 seconds". File type ".mp4 (recommended)" is a recommendation, so a MOV (which the
Page takes as a video) is not refused here. The table's video and audio settings rows
(codecs, GOP, audio) are not checked: our copy of the page does not show them (VERIFY).
"""

from __future__ import annotations

from dataclasses import dataclass

from cmops.text.limits import VideoFacts


@dataclass(frozen=True, slots=True)
class ReelRules:
    """What one format's video must be, as the network states it."""

    network: str
    min_seconds: float
    max_seconds: float
    aspect: tuple[int, int]
    """Width by height, e.g. 9 x 16."""
    aspect_tolerance: float
    """How far width/height may stray from ``aspect`` (the docs state none: cmops lets a
    phone's 1080x1918 through, and nothing visibly not 9:16)."""
    min_width: int
    min_height: int
    min_fps: float
    max_fps: float


FACEBOOK_REEL = ReelRules("Facebook", min_seconds=3, max_seconds=90, aspect=(9, 16),
                          aspect_tolerance=0.01, min_width=540, min_height=960,
                          min_fps=24, max_fps=60)


FPS_SLACK = 0.05
"""NTSC's 23.976 (24000/1001) frames a second counts as 24, and 59.94 as 60."""


def reel_refusals(rules: ReelRules, path: str, video: VideoFacts | None, who: str
                  ) -> list[str]:
    """Why the video at ``path`` (its facts: ``video``, None when unreadable) cannot go out
    as a reel on ``who``; empty when it can. A limit the file cannot answer is refused too:
    never sent on a guess."""
    reel = f"a {rules.network} reel"
    if video is None:
        return [f"cannot read '{path}' as a video (duration, size, frame rate), which {reel} "
                f"on {who} needs checked"]
    out = []
    if video.seconds is None:
        out.append(f"'{path}' has no readable duration; {reel} lasts {rules.min_seconds:g} to "
                   f"{rules.max_seconds:g} s")
    elif not rules.min_seconds <= video.seconds <= rules.max_seconds:
        out.append(f"'{path}' lasts {video.seconds:.1f} s; {reel} lasts {rules.min_seconds:g} "
                   f"to {rules.max_seconds:g} s")
    wide, high = rules.aspect
    if not video.width or not video.height:
        out.append(f"'{path}' has no readable width and height; {reel} is {wide}:{high}, at "
                   f"least {rules.min_width}x{rules.min_height}")
    else:
        ratio = video.width / video.height
        if abs(ratio - wide / high) > rules.aspect_tolerance:
            out.append(f"'{path}' is {video.width}x{video.height} (aspect {ratio:.2f}); {reel} "
                       f"is {wide}:{high} ({wide / high:.2f}), like "
                       f"{rules.min_width}x{rules.min_height}")
        elif video.width < rules.min_width or video.height < rules.min_height:
            out.append(f"'{path}' is {video.width}x{video.height}; {reel} is at least "
                       f"{rules.min_width}x{rules.min_height}")
    if video.fps is None:
        out.append(f"'{path}' has no readable frame rate; {reel} runs at {rules.min_fps:g} to "
                   f"{rules.max_fps:g} frames a second")
    elif not rules.min_fps - FPS_SLACK <= video.fps <= rules.max_fps + FPS_SLACK:
        out.append(f"'{path}' runs at {video.fps:g} frames a second; {reel} runs at "
                   f"{rules.min_fps:g} to {rules.max_fps:g}")
    return out
