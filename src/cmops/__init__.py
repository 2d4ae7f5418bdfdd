"""cmops: community management the GitOps way.

Posts, threads and campaigns are YAML files under ``calendar/``; ``cmops validate`` checks
them, ``cmops plan`` shows what will go out, ``cmops publish`` sends it exactly once.
"""

__version__ = "0.1.0"
