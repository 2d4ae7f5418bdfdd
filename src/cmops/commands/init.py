"""``cmops init``: scaffold a content repository that works on GitHub from its first push.

It writes a calendar (an outbox channel, commented examples for every network, a first post),
the JSON Schemas editors read, the GitHub workflows (review, review comment, publish, report,
crisis) with the composite action they use, ``mkdocs.yml`` for the report site, a
``CODEOWNERS`` example, ``.gitignore`` and a README for the content team. Nothing is
overwritten without ``--force``, and nothing is written at all when a file is in the way.

The workflow texts live here because they are the product's delivery mechanism: this
repository's own ``.github/workflows`` and ``action.yml`` are rendered from the same templates
(:func:`own_files`), and a test fails when they drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import click

from cmops import __version__

CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0"
UPLOAD_ARTIFACT = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2"
DOWNLOAD_ARTIFACT = ("actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093"
                     " # v4.3.0")
GITHUB_SCRIPT = "actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1"
CONFIGURE_PAGES = "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0"
UPLOAD_PAGES = ("actions/upload-pages-artifact@56afc609e74202658d3ffba0e8f6dda462b719fa"
                " # v3.0.1")
DEPLOY_PAGES = "actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5"
PINS = {"@@CHECKOUT@@": CHECKOUT, "@@SETUP_PYTHON@@": SETUP_PYTHON,
        "@@UPLOAD_ARTIFACT@@": UPLOAD_ARTIFACT, "@@DOWNLOAD_ARTIFACT@@": DOWNLOAD_ARTIFACT,
        "@@GITHUB_SCRIPT@@": GITHUB_SCRIPT, "@@CONFIGURE_PAGES@@": CONFIGURE_PAGES,
        "@@UPLOAD_PAGES@@": UPLOAD_PAGES, "@@DEPLOY_PAGES@@": DEPLOY_PAGES}

STATE_BRANCH = "cmops-state"
PUBLISH_ENVIRONMENT = "publishing"
LOCAL_ACTION = ".github/actions/cmops"
"""Where a scaffolded repository keeps its copy of the composite action."""

# `zizmor: ignore[self-repository]`: zizmor suggests the `$/` self-reference, which runners
# and actionlint do not all understand yet; `./` is the documented local-action syntax.
_ACTION_USE = "uses: @@ACTION@@ # zizmor: ignore[self-repository]"

ACTION_TEMPLATE = """\
# cmops as a GitHub Action: installs cmops and runs one command in the content repository.
#
#   - uses: OWNER/cmops@FULL_COMMIT_SHA # vX.Y.Z
#     with:
#       command: plan
#       base: origin/main
#       format: markdown
#       summary: "true"
#
# Values reach the shell only through environment variables, and the command's output is
# shown with workflow commands switched off, so no post text can act as one.
name: cmops
description: Install cmops and run one of its commands (validate, plan, publish, status,
  collect, report, pause, resume) in a content repository.
author: cmops
inputs:
  command:
    description: The cmops command, e.g. validate, plan, publish, status, collect, report,
      pause or resume.
    required: true
  format:
    description: --format (validate text|github|json; plan text|markdown|json; publish and
      status text|json).
    required: false
    default: ""
  base:
    description: --base REF for plan, e.g. origin/main.
    required: false
    default: ""
  state-branch:
    description: --state-branch NAME (publish, status, resolve, collect, report), e.g.
      cmops-state. The job then needs a checkout that keeps its credentials.
    required: false
    default: ""
  post:
    description: --post ID for publish (a holding statement, or one post only).
    required: false
    default: ""
  channel:
    description: --channel NAME (plan, publish, pause).
    required: false
    default: ""
  dry-run:
    description: '"true" adds --dry-run (publish).'
    required: false
    default: "false"
  at:
    description: --at ISO time (plan, publish, status, report).
    required: false
    default: ""
  out:
    description: --out DIR (report).
    required: false
    default: ""
  reason:
    description: --reason TEXT (pause).
    required: false
    default: ""
  by:
    description: --by WHO (pause).
    required: false
    default: ""
  args:
    description: Further arguments, one per line; each line is one argument, passed as it is
      (no shell expansion, no splitting on spaces).
    required: false
    default: ""
  output:
    description: Write the command's standard output to this file (relative to
      working-directory) instead of the log.
    required: false
    default: ""
  summary:
    description: '"true" also appends the standard output to the job summary.'
    required: false
    default: "false"
  workflow-commands:
    description: '"true" lets the output act as workflow commands: the annotations of
      validate --format github. Otherwise the log is fenced with stop-commands.'
    required: false
    default: "false"
  working-directory:
    description: The content repository (the folder that holds calendar/).
    required: false
    default: "."
  python-version:
    description: Python used to run cmops.
    required: false
    default: "3.11"
  package:
    description: What pip installs, e.g. cmops==0.1.0 or
      git+https://github.com/OWNER/cmops@FULL_COMMIT_SHA. Empty installs the folder this
      action comes from (the cmops repository, at the ref named in uses:). Installed once
      per job.
    required: false
    default: "@@PACKAGE@@"
outputs:
  exit-code:
    description: "cmops's exit status: 0 fine, 1 invalid content or something not published,
      2 usage error, 3 bug."
    value: ${{ steps.run.outputs.exit-code }}
runs:
  using: composite
  steps:
    - name: Set up Python
      id: python
      uses: @@SETUP_PYTHON@@
      with:
        python-version: ${{ inputs.python-version }}
        update-environment: false
    - name: Install cmops
      shell: bash
      env:
        PYTHON: ${{ steps.python.outputs.python-path }}
        CMOPS_PACKAGE: ${{ inputs.package }}
      run: |
        venv="$RUNNER_TEMP/cmops-venv"
        if [ -x "$venv/bin/cmops" ]; then exit 0; fi
        "${PYTHON:-python3}" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \\
          "${CMOPS_PACKAGE:-$GITHUB_ACTION_PATH}"
        "$venv/bin/cmops" --version
    - name: cmops ${{ inputs.command }}
      id: run
      shell: bash
      working-directory: ${{ inputs.working-directory }}
      env:
        CMOPS_COMMAND: ${{ inputs.command }}
        IN_FORMAT: ${{ inputs.format }}
        IN_BASE: ${{ inputs.base }}
        IN_STATE_BRANCH: ${{ inputs.state-branch }}
        IN_POST: ${{ inputs.post }}
        IN_CHANNEL: ${{ inputs.channel }}
        IN_DRY_RUN: ${{ inputs.dry-run }}
        IN_AT: ${{ inputs.at }}
        IN_OUT: ${{ inputs.out }}
        IN_REASON: ${{ inputs.reason }}
        IN_BY: ${{ inputs.by }}
        IN_ARGS: ${{ inputs.args }}
        IN_OUTPUT: ${{ inputs.output }}
        IN_SUMMARY: ${{ inputs.summary }}
        IN_WORKFLOW_COMMANDS: ${{ inputs.workflow-commands }}
      run: |
        if ! [[ "$CMOPS_COMMAND" =~ ^[a-z][a-z-]*$ ]]; then
          echo "::error::command must be a cmops command name, e.g. validate"
          exit 2
        fi
        args=("$CMOPS_COMMAND")
        add() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
        add --format "$IN_FORMAT"
        add --base "$IN_BASE"
        add --state-branch "$IN_STATE_BRANCH"
        add --post "$IN_POST"
        add --channel "$IN_CHANNEL"
        add --at "$IN_AT"
        add --out "$IN_OUT"
        add --reason "$IN_REASON"
        add --by "$IN_BY"
        if [ "$IN_DRY_RUN" = "true" ]; then args+=(--dry-run); fi
        while IFS= read -r line; do
          if [ -n "$line" ]; then args+=("$line"); fi
        done <<< "$IN_ARGS"
        stdout="$(mktemp)"
        fence=""
        if [ "$IN_WORKFLOW_COMMANDS" != "true" ]; then
          fence="cmops-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')"
          echo "::stop-commands::$fence"
        fi
        set +e
        "$RUNNER_TEMP/cmops-venv/bin/cmops" "${args[@]}" > "$stdout"
        code=$?
        set -e
        if [ -n "$IN_OUTPUT" ]; then
          mkdir -p "$(dirname "$IN_OUTPUT")"
          cp "$stdout" "$IN_OUTPUT"
        else
          cat "$stdout"
        fi
        if [ "$IN_SUMMARY" = "true" ]; then cat "$stdout" >> "$GITHUB_STEP_SUMMARY"; fi
        if [ -n "$fence" ]; then echo "::$fence::"; fi
        echo "exit-code=$code" >> "$GITHUB_OUTPUT"
        exit "$code"
"""

REVIEW = """\
# Content review of every pull request. cmops validate puts each problem on the line of the
# file that has it; cmops plan writes what will go out, where and when, into the run's
# summary and keeps it as an artifact. The token is read-only and no secret is used, so pull
# requests from forks get the same review safely. review-comment.yml then posts the plan on
# the pull request.
name: Content review

on:
  pull_request:

permissions:
  contents: read

concurrency:
  group: content-review-${{ github.ref }}
  cancel-in-progress: true

jobs:
  review:
    name: Validate and plan
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - name: Check out the pull request
        uses: @@CHECKOUT@@
        with:
          fetch-depth: 0 # the plan compares with the base branch
          persist-credentials: false
      - name: Validate
        @@USE_ACTION@@
        with:
          command: validate
          format: github
          args: --no-cache # a pull request could commit a doctored .cmops/cache/
          workflow-commands: "true" # the annotations on the pull request's lines
      - name: Plan
        if: ${{ !cancelled() }}
        @@USE_ACTION@@
        with:
          command: plan
          base: origin/${{ github.base_ref }}
          format: markdown
          output: ${{ runner.temp }}/cmops-review/plan.md
          summary: "true"
      - name: Record the pull request number
        if: ${{ !cancelled() }}
        env:
          PR_NUMBER: ${{ github.event.pull_request.number }}
          REVIEW_DIR: ${{ runner.temp }}/cmops-review
        run: |
          mkdir -p "$REVIEW_DIR"
          printf '%s\\n' "$PR_NUMBER" > "$REVIEW_DIR/pr-number"
      - name: Keep the plan for the pull request comment
        if: ${{ !cancelled() }}
        uses: @@UPLOAD_ARTIFACT@@
        with:
          name: cmops-review
          path: ${{ runner.temp }}/cmops-review/
          retention-days: 7
          if-no-files-found: error
"""

REVIEW_COMMENT = """\
# Posts the plan of each content review as one comment on its pull request, updated in place.
# It runs in the base repository with a token that may comment, after the review has
# finished, and never checks out or runs the pull request's code: it only reads the review's
# artifact, as untrusted data. The pull request number in it must belong to a pull request
# whose head is the reviewed commit, and the plan only ever becomes a comment's text. This is
# the workflow_run pattern GitHub Security Lab recommends instead of pull_request_target.
name: Content review comment

on:
  workflow_run: # zizmor: ignore[dangerous-triggers] no checkout, the artifact is only data
    workflows: [Content review]
    types: [completed]

permissions: {}

concurrency: # a newer review of the same branch replaces the comment anyway
  group: >-
    content-review-comment-${{ github.event.workflow_run.head_repository.full_name
    }}-${{ github.event.workflow_run.head_branch }}
  cancel-in-progress: true

jobs:
  comment:
    name: Comment the plan on the pull request
    if: >-
      github.event.workflow_run.event == 'pull_request' &&
      github.event.workflow_run.conclusion != 'cancelled'
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      actions: read # the review run's artifact
      pull-requests: write # the comment
    steps:
      - name: Download the review's plan
        uses: @@DOWNLOAD_ARTIFACT@@
        with:
          name: cmops-review
          path: ${{ runner.temp }}/cmops-review
          run-id: ${{ github.event.workflow_run.id }}
          github-token: ${{ github.token }}
      - name: Create or update the comment
        uses: @@GITHUB_SCRIPT@@
        env:
          REVIEW_DIR: ${{ runner.temp }}/cmops-review
          HEAD_SHA: ${{ github.event.workflow_run.head_sha }}
          CONCLUSION: ${{ github.event.workflow_run.conclusion }}
          RUN_URL: ${{ github.event.workflow_run.html_url }}
        with:
          script: |
            const fs = require('fs');
            const path = require('path');
            const MARKER = '<!-- cmops-plan -->';
            const LIMIT = 60000; // a comment holds 65,536 characters
            const env = process.env;
            const read = (name) => {
              try { return fs.readFileSync(path.join(env.REVIEW_DIR, name), 'utf8'); }
              catch { return null; }
            };
            const number = (read('pr-number') || '').trim();
            if (!/^[1-9][0-9]{0,9}$/.test(number)) {
              core.setFailed('The review artifact holds no pull request number.');
              return;
            }
            const { owner, repo } = context.repo;
            const pr = (await github.rest.pulls.get(
              { owner, repo, pull_number: Number(number) })).data;
            if (pr.head.sha !== env.HEAD_SHA) {
              core.notice(`#${number} has new commits: their review will comment.`);
              return;
            }
            let plan = (read('plan.md') || '').trim() || '_No plan: see the run._';
            if (plan.length > LIMIT) {
              plan = plan.slice(0, LIMIT) + '\\n\\n… (cut here: the run summary has it all)';
            }
            // Handles in post text must not notify the GitHub users of the same name.
            plan = plan.replace(/@(?=[A-Za-z0-9])/g, '@\\u2060');
            const failed = env.CONCLUSION === 'success' ? '' : '> [!WARNING]\\n> The review ' +
              `failed: see the annotations in [the run](${env.RUN_URL}).\\n\\n`;
            const body = `${MARKER}\\n${failed}${plan}\\n\\n` +
              `<sub>cmops plan of ${pr.head.sha.slice(0, 7)}, [run](${env.RUN_URL})</sub>`;
            const comments = await github.paginate(github.rest.issues.listComments,
              { owner, repo, issue_number: pr.number, per_page: 100 });
            const mine = comments.find((c) => c.user && c.user.login === 'github-actions[bot]'
              && (c.body || '').startsWith(MARKER));
            if (mine) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            } else {
              await github.rest.issues.createComment(
                { owner, repo, issue_number: pr.number, body });
            }
"""

PUBLISH = """\
# Publishes what is due, exactly once: every 15 minutes, and on request (a holding statement,
# one channel, a dry run).
# - Off the hour: GitHub delays scheduled runs at the top of the hour and may drop some. Each
#   run catches up on everything due, so a late or missing run only delays.
# - One run at a time, and a run in progress is never cancelled: one stopped between "sent"
#   and "recorded" leaves work for the reconciler. The ledger's compare-and-swap on the
#   @@STATE_BRANCH@@ branch is the real lock.
# - Credentials come only from the "@@ENVIRONMENT@@" environment, which only main may use.
# - When publishing fails or an item needs a person, one issue says so; it is closed when a
#   later run succeeds and nothing needs a person.
name: Publish

on:
  schedule:
    - cron: "7,22,37,52 * * * *"
  workflow_dispatch:
    inputs:
      post:
        description: Only this post id (a holding statement needs it). Empty for all due.
        type: string
        required: false
        default: ""
      channel:
        description: Only this channel. Empty for every channel.
        type: string
        required: false
        default: ""
      dry_run:
        description: Show what would be sent; send nothing.
        type: boolean
        required: false
        default: false

permissions:
  contents: read

concurrency:
  group: cmops-publish
  cancel-in-progress: false

jobs:
  publish:
    name: Publish what is due
    runs-on: ubuntu-latest
    # Above the publisher's own time budget (600 s) plus installation and ledger pushes: the
    # budget ends a run cleanly before the runner would kill it.
    timeout-minutes: 20
    environment: @@ENVIRONMENT@@
    permissions:
      contents: write # the ledger is pushed to the @@STATE_BRANCH@@ branch
    outputs:
      started: ${{ steps.start.outputs.at }}
    steps:
      - name: Note the start time
        id: start
        run: echo "at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"
      - name: Check out the calendar
        uses: @@CHECKOUT@@
        with:
          persist-credentials: true # cmops pushes the ledger
      - name: Publish
        @@USE_ACTION@@
        with:
          command: publish
          state-branch: @@STATE_BRANCH@@
          post: ${{ inputs.post }}
          channel: ${{ inputs.channel }}
          dry-run: ${{ inputs.dry_run }}
@@SECRETS_ENV@@
  alert:
    name: Open, update or close the publishing alert
    needs: publish
    if: ${{ !cancelled() && !inputs.dry_run }}
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read # the ledger on the @@STATE_BRANCH@@ branch
      issues: write # the one alert issue
    steps:
      - name: Check out the calendar
        uses: @@CHECKOUT@@
        with:
          persist-credentials: true # cmops status fetches the ledger (a read-only token)
      - name: Read the ledger
        continue-on-error: true # exit 1 means something needs a person: read on
        @@USE_ACTION@@
        with:
          command: status
          state-branch: @@STATE_BRANCH@@
          format: json
          output: ${{ runner.temp }}/status.json
      - name: Open, update or close the issue
        uses: @@GITHUB_SCRIPT@@
        env:
          PUBLISH_RESULT: ${{ needs.publish.result }}
          STARTED: ${{ needs.publish.outputs.started }}
          STATUS_FILE: ${{ runner.temp }}/status.json
        with:
          script: |
            const fs = require('fs');
            const path = require('path');
            const MARKER = '<!-- cmops-publish-alert -->';
            const { owner, repo } = context.repo;
            const home = `${context.serverUrl}/${owner}/${repo}`;
            const run = `${home}/actions/runs/${context.runId}`;
            const env = process.env;
            let rows = null;
            try { rows = JSON.parse(fs.readFileSync(env.STATUS_FILE, 'utf8')).items; }
            catch { rows = null; }
            const since = Date.parse(env.STARTED || '') || 0;
            const human = (rows || []).filter((r) => r.state === 'needs_human');
            const failed = (rows || []).filter((r) => r.state === 'failed'
              && Date.parse(r.updated || '') >= since);
            const problem = env.PUBLISH_RESULT !== 'success' || rows === null
              || human.length > 0;
            const files = {};
            const walk = (dir) => {
              for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) { walk(p); continue; }
                if (!/\\.ya?ml$/.test(e.name)) continue;
                const m = fs.readFileSync(p, 'utf8').match(/^id:[ \\t]*["']?([\\w.-]+)/m);
                if (m && !(m[1] in files)) files[m[1]] = p.split(path.sep).join('/');
              }
            };
            try { walk('calendar/posts'); } catch { /* no posts folder */ }
            const code = (s) => '`' + String(s ?? '').replace(/[`\\r\\n]+/g, ' ').slice(0, 300)
              + '`';
            const item = (r) => {
              const post = files[r.post]
                ? `[${code(r.post)}](${home}/blob/${context.sha}/${files[r.post]})`
                : code(r.post);
              return `- ${post} on ${code(r.channel)}` + (r.error ? `: ${code(r.error)}` : '');
            };
            const lines = [MARKER,
              `Publishing run [#${context.runNumber}](${run}) ended: **${env.PUBLISH_RESULT}**.`];
            if (rows === null) lines.push('', 'The ledger could not be read: see the run.');
            if (human.length) {
              lines.push('', '### Needs a person', '', ...human.map(item), '',
                'Look for the post on the network, then record what you find: ' +
                '`cmops resolve POST --channel NAME --as published --url URL` ' +
                '(or `--as retry`, or `--as failed`) with `--state-branch @@STATE_BRANCH@@`.');
            }
            if (failed.length) {
              lines.push('', '### Failed in this run', '', ...failed.map(item), '',
                'Read the error; fix the post or the channel settings and credentials.');
            }
            if (env.PUBLISH_RESULT !== 'success' && !human.length && !failed.length) {
              lines.push('', "The [run's log](" + run + ') says what went wrong.');
            }
            lines.push('', 'Each run updates this issue; a run that succeeds with nothing ' +
              'left for a person closes it.');
            const body = lines.join('\\n');
            const open = await github.paginate(github.rest.issues.listForRepo,
              { owner, repo, state: 'open', per_page: 100 });
            const issue = open.find((i) => !i.pull_request && i.user
              && i.user.login === 'github-actions[bot]' && (i.body || '').startsWith(MARKER));
            if (problem && issue) {
              await github.rest.issues.update({ owner, repo, issue_number: issue.number, body });
            } else if (problem) {
              await github.rest.issues.create(
                { owner, repo, title: 'cmops: publishing needs attention', body });
            } else if (issue) {
              await github.rest.issues.createComment({ owner, repo, issue_number: issue.number,
                body: `Recovered in run [#${context.runNumber}](${run}).` });
              await github.rest.issues.update({ owner, repo, issue_number: issue.number,
                state: 'closed', state_reason: 'completed' });
            }
"""

REPORT = """\
# The stakeholder site, rebuilt on every change to main, daily, and on request.
# - collect holds the network credentials ("@@ENVIRONMENT@@" environment) to fetch the
#   published posts' metrics, and records them on the @@STATE_BRANCH@@ branch;
# - cmops report writes the pages and builds the site (mkdocs.yml, into site/) in a job with
#   no secret: post text is untrusted input for a site generator;
# - health fails when no publish run was recorded for 3 hours (GitHub silently delays,
#   drops and, after 60 days without activity, disables scheduled runs);
# - only the deploy job may write to GitHub Pages.
name: Report

on:
  push:
    branches: [main]
  schedule:
    - cron: "41 5 * * *"
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: cmops-report
  cancel-in-progress: false

jobs:
  collect:
    name: Collect metrics
    runs-on: ubuntu-latest
    timeout-minutes: 20
    environment: @@ENVIRONMENT@@
    permissions:
      contents: write # the metrics are recorded on the @@STATE_BRANCH@@ branch
    steps:
      - name: Check out the calendar
        uses: @@CHECKOUT@@
        with:
          persist-credentials: true # cmops pushes the metrics
      - name: Collect
        @@USE_ACTION@@
        with:
          command: collect
          state-branch: @@STATE_BRANCH@@
@@COLLECT_SECRETS_ENV@@
  health:
    name: Publishing is alive
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - name: Check out the calendar
        uses: @@CHECKOUT@@
        with:
          persist-credentials: true # cmops fetches the ledger (a read-only token)
      - name: Last publish run within 3 hours # fails loudly if the schedule died
        @@USE_ACTION@@
        with:
          command: health
          state-branch: @@STATE_BRANCH@@
          args: |
            --max-age
            3h

  build:
    name: Build the site
    needs: collect
    if: ${{ !cancelled() }} # without fresh metrics, the calendar is still worth publishing
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      contents: read
    steps:
      - name: Check out the calendar
        uses: @@CHECKOUT@@
        with:
          persist-credentials: true # cmops fetches the ledger (a read-only token)
      - name: Build the report # the pages into docs/report, then mkdocs build --strict
        @@USE_ACTION@@
        with:
          command: report
          state-branch: @@STATE_BRANCH@@
      - name: Keep the site for Pages
        uses: @@UPLOAD_PAGES@@
        with:
          path: site

  deploy:
    name: Deploy to GitHub Pages
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      pages: write # publish the site
      id-token: write # prove to Pages that this run deploys it
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - name: Configure Pages
        uses: @@CONFIGURE_PAGES@@
      - name: Deploy
        id: deployment
        uses: @@DEPLOY_PAGES@@
"""

CRISIS = """\
# Crisis switch: commits `cmops pause` or `cmops resume` to the default branch, so that the
# freeze and its reason are in the repository's history. The next publish run (within 15
# minutes) honours it; a run already under way finishes what it started.
name: Crisis pause

on:
  workflow_dispatch:
    inputs:
      action:
        description: pause stops all publishing; resume ends the pause.
        type: choice
        options: [pause, resume]
        required: true
      reason:
        description: Why (shown by the plan, the publisher and the site; kept in history).
        type: string
        required: true

permissions:
  contents: read

concurrency:
  group: cmops-crisis
  cancel-in-progress: false

jobs:
  crisis:
    name: Commit the pause or the resume
    runs-on: ubuntu-latest
    timeout-minutes: 10
    # Only main may use this environment; it may hold CMOPS_PUSH_TOKEN, a token allowed to
    # push to a protected default branch (GITHUB_TOKEN cannot bypass branch rules).
    environment: @@ENVIRONMENT@@
    permissions:
      contents: write # commits calendar/pause.yaml
    steps:
      - name: Check out the default branch
        uses: @@CHECKOUT@@
        with:
          ref: ${{ github.event.repository.default_branch }}
          token: ${{ secrets.CMOPS_PUSH_TOKEN || github.token }}
          persist-credentials: true # pushes the commit
      - name: cmops ${{ inputs.action }}
        @@USE_ACTION@@
        with:
          command: ${{ inputs.action }}
          reason: ${{ inputs.action == 'pause' && inputs.reason || '' }}
          by: ${{ inputs.action == 'pause' && github.actor || '' }}
      - name: Commit and push
        env:
          ACTION: ${{ inputs.action }}
          REASON: ${{ inputs.reason }}
          ACTOR: ${{ github.actor }}
          BRANCH: ${{ github.event.repository.default_branch }}
          SERVER: ${{ github.server_url }}
          REPOSITORY: ${{ github.repository }}
          RUN_ID: ${{ github.run_id }}
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898294+github-actions[bot]@users.noreply.github.com"
          git add calendar/pause.yaml
          if git diff --cached --quiet; then
            echo "Nothing to commit: publishing is already in that state."
            exit 0
          fi
          git commit --quiet -m "cmops $ACTION: $REASON" \\
            -m "Requested by @$ACTOR in $SERVER/$REPOSITORY/actions/runs/$RUN_ID"
          for attempt in 1 2 3; do
            if git push --quiet origin "HEAD:refs/heads/$BRANCH"; then exit 0; fi
            echo "Push $attempt rejected; rebasing on the new $BRANCH."
            git pull --quiet --rebase origin "$BRANCH"
          done
          why="a protected default branch needs the secret CMOPS_PUSH_TOKEN"
          echo "::error::Could not push: $why (see the GitHub setup guide)."
          exit 1
"""

WORKFLOWS = {"review.yml": REVIEW, "review-comment.yml": REVIEW_COMMENT, "publish.yml": PUBLISH,
             "report.yml": REPORT, "crisis.yml": CRISIS}


def _secrets_env(names: Iterable[str]) -> str:
    """The ``env:`` of a step that needs the channels' credentials, one line per variable."""
    names = sorted(set(names))
    if not names:
        return ("        # Each secret named in calendar/channels.yaml, as the step's env:\n"
                "        # env:\n"
                "        #   MASTODON_TOKEN: ${{ secrets.MASTODON_TOKEN }}")
    return "        env:\n" + "\n".join(f"          {n}: ${{{{ secrets.{n} }}}}" for n in names)


def _fill(template: str, values: Mapping[str, str]) -> str:
    for key, value in {**PINS, **values}.items():
        template = template.replace(key, value)
    if "@@" in template:
        raise AssertionError("a template placeholder was left unfilled")
    return template


def workflow_files(action: str, secret_names: Iterable[str],
                   collect_names: Iterable[str] = ()) -> dict[str, str]:
    """The workflows, by path, for a repository whose cmops action is at ``action`` (a local
    path such as ``./``) and whose channels read the environment variables ``secret_names``;
    ``collect_names`` are further variables only collect needs (the GA4 key)."""
    names = list(secret_names)
    values = {"@@USE_ACTION@@": _ACTION_USE.replace("@@ACTION@@", action),
              "@@SECRETS_ENV@@": _secrets_env(names),
              "@@COLLECT_SECRETS_ENV@@": _secrets_env([*names, *collect_names]),
              "@@STATE_BRANCH@@": STATE_BRANCH,
              "@@ENVIRONMENT@@": PUBLISH_ENVIRONMENT}
    return {f".github/workflows/{name}": _fill(text, values) for name, text in WORKFLOWS.items()}


def action_file(package: str) -> str:
    """The composite action; ``package`` is what it installs by default ("" for its own
    folder, which is right for the cmops repository itself)."""
    return _fill(ACTION_TEMPLATE, {"@@PACKAGE@@": package})


def channel_secret_names(data: object) -> list[str]:
    """Every environment variable named under ``secrets:`` in a parsed channels.yaml."""
    channels = data.get("channels") if isinstance(data, dict) else None
    out: set[str] = set()
    for channel in channels.values() if isinstance(channels, dict) else ():
        secrets = channel.get("secrets") if isinstance(channel, dict) else None
        if isinstance(secrets, dict):
            out.update(v for v in secrets.values() if isinstance(v, str))
    return sorted(out)


def own_files(root: Path) -> dict[str, str]:
    """This repository's workflows and action.yml, as the templates render them for its own
    calendar (``./`` action, the secrets its channels.yaml names)."""
    from cmops.yamlsafe import load_bytes

    data = load_bytes((root / "calendar" / "channels.yaml").read_bytes())
    analytics = root / "calendar" / "analytics.yaml"
    extra: list[str] = []
    if analytics.is_file():
        ga4 = load_bytes(analytics.read_bytes()).get("ga4") or {}
        if isinstance(ga4, dict) and isinstance(ga4.get("secret"), str):
            extra.append(ga4["secret"])
    files = workflow_files("./", channel_secret_names(data), extra)
    files["action.yml"] = action_file("")
    return files


def write_own_files(root: Path) -> list[str]:
    """Rewrite this repository's workflows and action.yml from the templates (after editing
    them here): ``python -m cmops.commands.init``. Returns the paths that changed."""
    changed = []
    for rel, text in own_files(root).items():
        path = root / rel
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_bytes(text.encode("utf-8"))
            changed.append(rel)
    return changed


CHANNELS = """\
# yaml-language-server: $schema=../schemas/channels.schema.json
#
# The accounts cmops publishes to, and the calendar's defaults. Secrets are the NAMES of
# environment variables (GitHub Actions secrets), never the credentials themselves; each name
# also needs a line in the env: of .github/workflows/publish.yml and report.yml.
timezone: @@TIMEZONE@@
lang: @@LANG@@
max_delay: 6h # a late run still publishes a post up to 6 hours after its time

channels:
  newsroom:
    # The embedded local channel: writes each post as JSON files and an Atom feed under
    # .cmops/outbox/. No account, no credentials: the whole flow works with it.
    network: outbox
    label: Newsroom feed

  # Examples, one per network: uncomment one, rename it, fill in the account, and store its
  # credentials as secrets under the names given. The secrets each network needs are listed
  # on its page of the cmops documentation.
  #
  # bluesky-main:
  #   network: bluesky
  #   account: example.bsky.social
  #   secrets:
  #     identifier: BLUESKY_IDENTIFIER
  #     password: BLUESKY_APP_PASSWORD   # an app password, not the account's own
  #
  # mastodon-main:
  #   network: mastodon
  #   server: https://mastodon.social
  #   account: "@example"
  #   secrets:
  #     token: MASTODON_TOKEN
  #
  # x-main:
  #   network: x
  #   account: "@example"
  #   secrets:
  #     api_key: X_API_KEY
  #     api_secret: X_API_SECRET
  #     access_token: X_ACCESS_TOKEN
  #     access_secret: X_ACCESS_SECRET
  #
  # linkedin-page:
  #   network: linkedin
  #   account: urn:li:organization:123456
  #   secrets:
  #     token: LINKEDIN_TOKEN
  #
  # facebook-page:
  #   network: facebook
  #   account: "123456789012345"            # the page id
  #   secrets:
  #     page_token: FACEBOOK_PAGE_TOKEN
  #
  # instagram-main:
  #   network: instagram
  #   account: "17841400000000000"          # the business account id
  #   media_base_url: https://media.example.org/   # where Instagram downloads the images
  #   secrets:
  #     token: INSTAGRAM_TOKEN
  #
  # threads-main:
  #   network: threads
  #   account: "12345678901234567"
  #   media_base_url: https://media.example.org/
  #   secrets:
  #     token: THREADS_TOKEN
  #
  # discord-announcements:
  #   network: discord
  #   secrets:
  #     webhook_url: DISCORD_WEBHOOK_URL    # the webhook's URL holds its token
  #
  # telegram-channel:
  #   network: telegram
  #   chat_id: "@example_channel"
  #   secrets:
  #     token: TELEGRAM_BOT_TOKEN
"""

FIRST_POST = """\
# yaml-language-server: $schema=../../../schemas/post.schema.json
#
# A first post. Copy this file to write the next one: one file per post, in any folder under
# calendar/posts/, with an id that is never reused.
id: hello-world
publish_at: @@PUBLISH_AT@@ # local time, in the time zone of calendar/channels.yaml
channels: [newsroom]
status: ready # draft | ready | standby (a holding statement, sent only on request)
text: |
  Hello! This is the first post of our content calendar.
"""

GITIGNORE = """\
# cmops's local state: the ledger and outbox of runs on your computer, caches.
.cmops/
# What cmops report generates: its pages, and the site built from them.
docs/report/
site/
.venv/
"""

MKDOCS = """\
# The stakeholder site: cmops report writes its pages into docs/report/ and builds the site
# into site/ with mkdocs build --strict. Nothing is fetched from the network (no web fonts).
site_name: Content calendar
docs_dir: docs
site_dir: site
strict: true

theme:
  name: material
  font: false
  language: @@LANG@@

plugins:
  - search

markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - toc:
      permalink: true

# The report's pages link to each other; only its dashboard is in the nav.
not_in_nav: |
  /report/

validation:
  nav:
    omitted_files: info
    not_found: info # report/index.md exists once cmops report has run

nav:
  - Home: index.md
  - Report: report/index.md
"""

DOCS_INDEX = """\
# Content calendar

What we publish, where and when, and how it did: see the [report](report/index.md), rebuilt
on every change to the calendar and every day.
"""

CODEOWNERS = """\
# Who must approve changes, with branch protection's "Require review from Code Owners".
# The last matching line wins. Uncomment and adapt:
#
# *                        @your-org/social-team
# /calendar/channels.yaml  @your-org/social-leads
# /calendar/campaigns/     @your-org/marketing
# /calendar/posts/legal/   @your-org/legal
# /.github/                @your-org/maintainers
"""

README = """\
# Content calendar

Every post we publish on social networks is a file in this repository. A pull request is the
review; merging it schedules the post; cmops publishes it at its time, exactly once, from
GitHub Actions.

## Propose a post

1. Copy `calendar/posts/@@FIRST_POST_DIR@@/hello-world.yaml` to a new file under
   `calendar/posts/` (any folder: by month, by campaign), on a new branch. On github.com:
   open the file, *Copy raw file*, then *Add file → Create new file*.
2. Change the `id` (a new one, never reused), `publish_at`, `channels` and `text`.
3. Open a pull request. Within a minute a check validates it: a problem appears on the line
   of the file that has it, and a comment shows the post exactly as each network will get
   it, at its date and time.
4. A colleague reviews and approves; merging schedules it. A post with `status: draft` is
   never published, even once merged.

## After the merge

A scheduled run publishes what is due every 15 minutes. If something fails, or a send was
interrupted and needs a person to check the network, an issue titled *cmops: publishing
needs attention* explains what to do; it closes itself once things are fine again.

## The report site

Everyone can follow the calendar and the results on the site GitHub Pages serves for this
repository (*Settings → Pages* shows its address). It is rebuilt after every merge and
every morning; `cmops report` builds the same site on your computer, into `site/`.

## In a crisis

*Actions → Crisis pause → Run workflow*, choose `pause` and give the reason: nothing is
published any more until someone runs it again with `resume`. Holding statements
(`status: standby`) can still be published one by one with *Actions → Publish → Run
workflow* and their `post` id.

## On your computer

```sh
python3 -m venv .venv && .venv/bin/pip install '@@PACKAGE@@'
.venv/bin/cmops validate                    # check every file
.venv/bin/cmops plan                        # what goes out in the next 14 days
.venv/bin/cmops plan --base origin/main     # what your branch changes
.venv/bin/cmops publish --dry-run           # what would be sent now
```

## Setting up GitHub (once, by a maintainer)

See *GitHub setup* in the cmops documentation. In short: create the environment
`@@ENVIRONMENT@@` (deployment branches: `main` only) and put the channels' secrets in it;
protect `main` (pull requests, the *Validate and plan* check, CODEOWNERS reviews); choose
*GitHub Actions* as the Pages source. The publisher keeps its ledger on the
`@@STATE_BRANCH@@` branch, which it creates on its first run; leave that branch unprotected.
The workflows install cmops through `.github/actions/cmops/action.yml`: change its `package`
default to upgrade.
"""


def scaffold_files(*, package: str, timezone: str, lang: str, today: date) -> dict[str, str]:
    """Every file of a new content repository, by path. The first post is due a week after
    ``today`` at 09:00, so that a fresh repository plans it and publishes nothing yet."""
    first = today + timedelta(days=7)
    values = {"@@TIMEZONE@@": timezone, "@@LANG@@": lang, "@@PACKAGE@@": package,
              "@@PUBLISH_AT@@": f"{first.isoformat()}T09:00",
              "@@FIRST_POST_DIR@@": f"{first:%Y-%m}", "@@ENVIRONMENT@@": PUBLISH_ENVIRONMENT,
              "@@STATE_BRANCH@@": STATE_BRANCH}
    files = {
        "calendar/channels.yaml": _fill(CHANNELS, values),
        f"calendar/posts/{first:%Y-%m}/hello-world.yaml": _fill(FIRST_POST, values),
        ".gitignore": GITIGNORE,
        ".github/CODEOWNERS": CODEOWNERS,
        "mkdocs.yml": _fill(MKDOCS, values),
        "docs/index.md": DOCS_INDEX,
        "README.md": _fill(README, values),
        f"{LOCAL_ACTION}/action.yml": action_file(package),
        **workflow_files(f"./{LOCAL_ACTION}", []),
    }
    schemas = resources.files("cmops.schemas")
    for entry in sorted(schemas.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".schema.json"):
            files[f"schemas/{entry.name}"] = entry.read_text("utf-8")
    return files


class InTheWay(Exception):
    """Files that exist already (and ``--force`` was not given)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def scaffold(target: Path, files: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write ``files`` under ``target``; all of them or, when some exist and ``force`` is
    false, none. Returns the paths written."""
    existing = sorted(rel for rel in files if (target / rel).exists())
    if existing and not force:
        raise InTheWay(existing)
    for rel, text in sorted(files.items()):
        path = target / rel
        if path.is_dir():
            raise InTheWay([rel])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return sorted(files)


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise click.BadParameter(f"{value!r} is not an IANA time zone, e.g. Europe/Paris") \
            from None
    return value


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
@click.option("--package", default=f"cmops=={__version__}", show_default=True, metavar="SPEC",
              help="What the workflows install: a pip requirement, e.g. "
                   "git+https://github.com/OWNER/cmops@COMMIT.")
@click.option("--timezone", default="UTC", show_default=True, callback=_check_timezone,
              help="IANA time zone in which the calendar's local times are read.")
@click.option("--lang", default="en", show_default=True, help="Default language of posts.")
@click.pass_context
def command(ctx: click.Context, directory: Path, force: bool, package: str, timezone: str,
            lang: str) -> None:
    """Create a content repository: calendar, schemas, GitHub workflows, README.

    Writes calendar/channels.yaml (an outbox channel that needs no account, and a commented
    example for every network), a first post, schemas/ for editors, the workflows (review of
    pull requests, publishing every 15 minutes, the report site, the crisis pause) with the
    composite action they use, mkdocs.yml for the report site, a CODEOWNERS example,
    .gitignore and a README for the content team. Existing files are never overwritten
    without --force; then nothing is written.

    Example:

    \b
        cmops init my-calendar
        cmops init . --timezone Europe/Paris --lang fr
    """
    from cmops.cli import EXIT_USAGE

    files = scaffold_files(package=package, timezone=timezone, lang=lang,
                           today=datetime.now().date())
    try:
        written = scaffold(directory, files, force=force)
    except InTheWay as exc:
        click.echo(f"cmops: not overwriting {len(exc.paths)} existing file(s) in {directory}: "
                   f"{', '.join(exc.paths)}. Nothing was written; use --force to overwrite.",
                   err=True)
        ctx.exit(EXIT_USAGE)
    click.echo(f"Created {len(written)} files in {directory}:")
    for rel in written:
        click.echo(f"  {rel}")
    click.echo("Next: cmops validate, cmops plan, then git init, commit and push; the README "
               "says how to set up GitHub.")


if __name__ == "__main__":
    for rel in write_own_files(Path.cwd()):
        print(f"rewrote {rel}")
