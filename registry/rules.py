"""The rule catalogue: every rule once, with what it catches, why, a bad example and the fix.

The validators emit findings through these objects (the id and the default severity come
from here), `template-registry rules` and `explain` print them, SARIF output describes
them, and the README's rule table is generated from them (a test compares). Import-light
on purpose: the pre-commit hook imports it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from registry.findings import Finding, Severity

Scope = Literal["file", "registry"]


class Rule(NamedTuple):
    """One rule: its id, default severity, scope, and the text that explains it."""

    id: str
    severity: Severity
    scope: Scope  # "file": one file's content decides; "registry": several files or paths
    summary: str  # what it catches, one line
    why: str  # why it matters
    example: str  # a bad template snippet (YAML)
    fix: str  # how to fix it
    # A template that breaks it cannot be loaded or pushed at all: it can be neither turned
    # off (or down to a warning) in the configuration nor silenced by an inline ignore.
    essential: bool = False

    def at(self, path: str, line: int, column: int, message: str) -> Finding:
        """A finding of this rule, at its default severity (the configuration may change it
        later, in registry.validation)."""
        return Finding(path, line, column, self.severity, self.id, message)


YAML_SYNTAX = Rule(
    "yaml-syntax", "error", "file",
    "YAML that does not parse: tabs for indentation, unclosed quotes, raw control characters, "
    "a value that does not fit its explicit tag",
    "A file that does not parse cannot be checked or pushed at all.",
    'name: "mistral-7b\naccount_id: acct-1',
    "Fix the syntax at the position given: indent with spaces, close the quote, escape control "
    "characters inside double quotes.",
    essential=True,
)
YAML_DUPLICATE_KEY = Rule(
    "yaml-duplicate-key", "error", "file",
    "the same key twice in one mapping",
    "YAML keeps only the last value silently, so the reviewed text and the pushed template "
    "differ.",
    "name: a\nname: b",
    "Keep one of the two keys.",
    essential=True,
)
YAML_UNSAFE = Rule(
    "yaml-unsafe", "error", "file",
    "anchors and aliases, custom tags, several documents, a top level that is not a mapping, "
    "an empty file, files over 1 MiB, bytes that are not UTF-8, nesting deeper than 32, keys "
    "that are lists or mappings",
    "Templates are plain data: these constructs hide content from review or expand without "
    "bound (a billion-laughs file).",
    "bundle_config: &b\n  image: server\nfine_tuning_job_bundle_config: *b",
    "Write every value out in full, one document per file, as a mapping of the create "
    "body's fields.",
    essential=True,
)
YAML_IMPLICIT_TYPE = Rule(
    "yaml-implicit-type", "error", "file",
    "a value that YAML reads as another type than the author meant: `tag: 1.10` is the float "
    "1.1, `yes`/`on` are booleans, `2024-01-31` is a date, a huge number",
    "The API would receive a different value than the one written, or a type error far from "
    "its cause.",
    "tag: 1.10",
    'Quote the string: tag: "1.10".',
    essential=True,
)
SCHEMA = Rule(
    "schema", "error", "file",
    "an unknown field (with a did-you-mean), a missing field, a wrong type, an enum value "
    "that is not allowed (with the allowed ones)",
    "The file body is exactly the API's create body: the API refuses what does not match it.",
    "vendor_configuraton:\n  vendor: LAUNCH",
    "Use the field names and types of the create body (`template-registry schema` prints "
    "them).",
    essential=True,
)
UNIQUE_NAME = Rule(
    "unique-name", "error", "registry",
    "the same account and name in two files, or names equal but for case or surrounding "
    "spaces; both files are reported",
    "The API keys nothing on the name: both would be pushed, and people pick templates by "
    "name in the UI.",
    "# templates/a.yaml and templates/b.yaml both say:\nname: Mistral\naccount_id: acct-1",
    "Rename one of them, or delete the copy.",
    essential=True,
)
PARAMETER_SCHEMA = Rule(
    "parameter-schema", "error", "file",
    "duplicate or non-identifier parameter names, empty descriptions",
    "Parameters become keyword names in model calls: a duplicate or a name like `max-len` "
    "cannot be passed, and an empty description leaves users guessing.",
    "model_request_parameters_schema:\n  parameters:\n    - name: max-len\n      type: int\n"
    "      description: ''\n      required: false",
    "Use unique identifiers (letters, digits, underscores) and describe each parameter.",
)
LAUNCH_RESOURCES = Rule(
    "launch-resources", "error", "file",
    "what Launch's model engine refuses when a model is created: `gpu_type` without GPUs or "
    "GPUs without `gpu_type`, a negative GPU count (there is no upper limit); `cpus`, "
    "`memory`, `storage` that are not positive; `memory` and `storage` not in Launch's syntax "
    "(digits with an optional fraction, then `k` `M` `G` `T` `P` `E` or `Ki` `Mi` `Gi` `Ti` "
    "`Pi` `Ei`; no `1e3`, `500m`, `+1Gi`, `.5Gi`), compared after rounding to whole bytes; "
    "more than a node of the GPU type offers, counting the forwarder's 1 CPU / 2Gi / 1G; "
    "`max_workers` over 250, negative workers, `min_workers` over `max_workers`, "
    "`min_workers` 0 except for ASYNC (unless `scale_from_zero`); `per_worker` under 1, or "
    "other than 1 for STREAMING; a negative readiness delay",
    "The API accepts such a template; it fails only later, when someone creates a model "
    "from it.",
    "endpoint_config:\n  memory: 24GB\n  gpus: 1",
    "Use a quantity such as 24Gi, set gpu_type with gpus, and stay within the node's limits "
    "(leave room for the forwarder); describe your own cluster in "
    "[tool.template-registry.launch].",
)
LAUNCH_ROUTES = Rule(
    "launch-routes", "error", "file",
    "routes without a leading `/`; a STREAMING template without `streaming_command` or "
    "`streaming_predict_route`; a SYNC or ASYNC template with a `streaming_command` but no "
    "`command`; `endpoint_config.endpoint_type` different from `endpoint_type`",
    "Each deploys and then fails at the first request (or when the model is created).",
    "endpoint_type: STREAMING\nvendor_configuration:\n  bundle_config:\n    predict_route: "
    "predict",
    "Start routes with `/` and give a STREAMING template its streaming command and route.",
)
IMAGE_TAG = Rule(
    "image-tag", "warning", "file",
    "a moving image tag: `latest`, `main`, `stable`, `nightly`, ...",
    "The image behind the template can change without a change in git, so what was reviewed "
    "is not what runs.",
    "tag: latest",
    "Pin a version (e.g. 1.4.2) or a digest.",
)
IMAGE_TAG_EMPTY = Rule(
    "image-tag-empty", "error", "file",
    "an empty image tag",
    "An image reference without a tag cannot be pulled as written.",
    'tag: ""',
    "Pin a version (e.g. 1.4.2) or a digest.",
)
SECRET = Rule(
    "secret", "error", "file",
    "a credential anywhere: cloud, GitHub, Slack, OpenAI, Anthropic, Hugging Face, Google and "
    "Stripe tokens, private keys, JWTs, passwords in URLs, long random values under names "
    "like KEY, TOKEN, SECRET, PASSWORD",
    "Templates live in git, where every clone keeps a credential forever. The value is never "
    "echoed.",
    "env:\n  HF_TOKEN: hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "Remove it, rotate it, and have the container read it from a secret store (`${HF_TOKEN}`, "
    "`/var/run/secrets/...`, `arn:aws:secretsmanager:...`, `vault://...` are fine).",
)
ACCOUNT_UNKNOWN = Rule(
    "account-unknown", "error", "registry",
    "with an `accounts` table: an account_id that is not in it",
    "A typo in an account id would push a template into an account nobody reviews.",
    "account_id: acct-serach-team",
    "Use one of the accounts of [tool.template-registry.accounts], or add the account there.",
)
ACCOUNT_PATH = Rule(
    "account-path", "error", "registry",
    "with an `accounts` table: a file outside its account's folders",
    "With CODEOWNERS on those folders, this is what stops a team from pushing templates into "
    "another team's account.",
    "# templates/search/x.yaml\naccount_id: acct-genai-apps",
    "Move the file under its account's folders, or fix its account_id.",
)
ENVIRONMENT = Rule(
    "environment", "error", "registry",
    "with environments: a patch for a template that does not exist, a patch that is not a "
    "mapping or that sets or removes `name` or `account_id`, an account the environment "
    "does not map (when it maps accounts)",
    "A patch that matches no template is silently never applied, and one that changes a "
    "template's identity would make the environments disagree about which template is "
    "which; an unmapped account would push to the files' account id in that environment.",
    "# overlays/production/genai/llama.yaml, with no templates/genai/llama.yaml\n"
    "vendor_configuration:\n  endpoint_config:\n    min_workers: 2",
    "Name the patch after its template's path under the templates folder, change only "
    "other fields, and map every account in [tool.template-registry.environments.NAME].",
    essential=True,
)
IGNORE_COMMENT = Rule(
    "ignore-comment", "warning", "file",
    "an inline `# template-registry: ignore[RULE-ID] why` without a reason, for an unknown "
    "rule, or that matches no finding",
    "An ignore is a decision someone must be able to review; one that silences nothing "
    "hides the next real problem on that line.",
    "tag: latest  # template-registry: ignore[image-tag]",
    "Say why after the bracket, or remove the comment once the finding is fixed.",
)

RULES: tuple[Rule, ...] = (
    YAML_SYNTAX, YAML_DUPLICATE_KEY, YAML_UNSAFE, YAML_IMPLICIT_TYPE, SCHEMA, UNIQUE_NAME,
    PARAMETER_SCHEMA, LAUNCH_RESOURCES, LAUNCH_ROUTES, IMAGE_TAG, IMAGE_TAG_EMPTY, SECRET,
    ACCOUNT_UNKNOWN, ACCOUNT_PATH, ENVIRONMENT, IGNORE_COMMENT,
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def did_you_mean(rule_id: str) -> str:
    """` (did you mean 'x'?)` for a near miss of a rule id, else ''."""
    import difflib  # here: the hook needs it only for a mistyped rule id

    close = difflib.get_close_matches(rule_id, BY_ID, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
