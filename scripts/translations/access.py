"""Japanese UI strings of the access-control pages (msgid → msgstr); merged by scripts/update_messages.py."""

JA = {
    # navigation, index
    "Dynamic access control": "動的なアクセス制御",
    "Access control": "アクセス制御",
    "Access-control policy sets": "アクセス制御方針",
    "Decision logs": "判定ログ",
    "Bundle verification key": "バンドル検証用公開鍵",
    "New policy set": "アクセス制御方針を作成",
    "Each policy set is an access-control policy (R7 7.3.1(3)): rules over user, device and network signals, "
    "the resources under dynamic access control, and the signed bundles published to the PDPs that enforce it.":
        "アクセス制御方針（R7 7.3.1(3)）ごとに、利用者・端末・ネットワークの信用情報に基づくルール、動的なアクセス制御の"
        "対象リソース、判定点（PDP）へ配布する署名付きバンドルを管理します。",
    "Published revision": "公開中の版",
    "Review": "見直し",
    "not published": "未公開",
    "Default not yet reviewed": "既定ルール（未見直し）",
    "No policy sets.": "アクセス制御方針はまだありません。",
    # policy set form and page
    "Start from the standard-derived default rules (review them)": "統一基準群に基づく既定ルールから始める（要見直し）",
    "The default rules are kijun's cautious reading of the Common Standards. They are a starting point: the agency "
    "must review and adapt them to its own access-control policy (R7 7.3.2(1)).":
        "既定ルールは kijun が統一基準群を慎重に解釈したものです。出発点にすぎないため、各機関のアクセス制御方針に合わせて"
        "見直し、調整してください（R7 7.3.2(1)）。",
    "Create": "作成",
    "Policy set created.": "アクセス制御方針を作成しました。",
    "This code is already used.": "このコードは既に使われています。",
    "Edit policy set": "アクセス制御方針の編集",
    "Edit name, description and hand-written Cedar": "名称・説明・手書きCedarを編集",
    "Used by PDPs to fetch the bundle (?policy_set=code).": "PDPがバンドルを取得するときに指定します（?policy_set=コード）。",
    "hand-written Cedar": "手書きのCedar",
    "Optional. Every policy needs a unique @id; a forbid may carry @outcome(\"step_up\") with @step_up(\"mfa\"). "
    "Validated against the schema.":
        "任意。各ポリシーには一意の @id が必要です。forbid には @outcome(\"step_up\") と @step_up(\"mfa\") を付けられます。"
        "スキーマで検証します。",
    "Version": "版",
    "Standard-derived default: review required.": "統一基準群に基づく既定ルールです。見直しが必要です。",
    "These rules were seeded from kijun's default policy, a cautious reading of the Common Standards. The agency "
    "must review thresholds, roles and actions and adapt them to its own access-control policy (R7 7.3.1(3), "
    "7.3.2(1)).":
        "これらのルールは kijun の既定方針（統一基準群の慎重な解釈）から作成されました。しきい値・役割・操作を見直し、"
        "各機関のアクセス制御方針に合わせてください（R7 7.3.1(3)、7.3.2(1)）。",
    "Mark as reviewed": "見直し済みとして記録",
    "Recorded that the policy set was reviewed.": "見直しを記録しました。",
    "Reviewed by %(who)s on %(when)s.": "%(when)s に %(who)s が見直しました。",
    "Validation": "検証",
    "The generated Cedar validates against the schema.": "生成されたCedarはスキーマ検証に合格しています。",
    "Show generated Cedar": "生成されたCedarを表示",
    "The policy does not validate and cannot be published:": "方針が検証に合格しないため公開できません:",
    "Test this policy": "この方針を試す",
    "Rules": "ルール",
    "Add a rule": "ルールを追加",
    "Rule id": "ルールID",
    "Outcome": "結果",
    "Sections": "該当項番",
    "Enabled": "有効",
    "yes": "はい",
    "no": "いいえ",
    "Delete": "削除",
    "No rules: every request is denied.": "ルールがありません。すべての要求が拒否されます。",
    "Resources under dynamic access control": "動的なアクセス制御の対象リソース",
    "Name the resources this policy protects (R7 7.3.1(1)) with their classification; a URL prefix makes the "
    "nginx / Envoy endpoints map requests to the resource.":
        "この方針で保護するリソースを格付とともに定めます（R7 7.3.1(1)）。URLプレフィックスを指定すると、nginx / Envoy "
        "連携で要求をリソースに対応付けます。",
    "Add a resource": "リソースを追加",
    "Resource id": "リソースID",
    "URL prefix": "URLプレフィックス",
    "Classification": "格付",
    "C%(c)s / I%(i)s / A%(a)s": "機密性%(c)s / 完全性%(i)s / 可用性%(a)s",
    "No resources named yet.": "対象リソースはまだ定められていません。",
    "Published revisions": "公開履歴",
    "Publish a signed bundle": "署名付きバンドルとして公開",
    "What changed and why": "変更内容と理由",
    "Revision": "版",
    "Published": "公開日時",
    "By": "公開者",
    "Note": "メモ",
    "Digest": "ダイジェスト",
    "Not published yet.": "まだ公開されていません。",
    "PDPs fetch the latest revision from <code>/api/v1/access/bundle?policy_set=%(code)s</code> with a PDP token "
    "and verify it with the bundle verification key.":
        "PDPは PDPトークンで <code>/api/v1/access/bundle?policy_set=%(code)s</code> から最新版を取得し、"
        "バンドル検証用公開鍵で検証します。",
    "PDP tokens": "PDPトークン",
    "A PDP token may only download this policy set's bundle and ship its decision logs.":
        "PDPトークンで行えるのは、この方針のバンドル取得と判定ログの送信だけです。",
    "Create a PDP token": "PDPトークンを作成",
    "Token": "トークン",
    "revoked": "失効済み",
    "No PDP tokens.": "PDPトークンはありません。",
    "PDP name": "PDPの名前",
    "Valid for (days)": "有効期間（日）",
    "PDP token created": "PDPトークンを作成しました",
    "Copy the token now: it is shown only once. Put it in a file readable only by the PDP's user and pass it with "
    "KIJUN_ACCESS_API_TOKEN_FILE.":
        "トークンは今回しか表示されません。今すぐコピーし、PDPの実行ユーザーだけが読めるファイルに保存して "
        "KIJUN_ACCESS_API_TOKEN_FILE で指定してください。",
    "Token revoked.": "トークンを失効させました。",
    # generated Cedar
    "Generated Cedar": "生成されたCedar",
    "Valid against the shipped schema. Policy digest %(rev)s.": "同梱スキーマでの検証に合格しました。方針ダイジェスト %(rev)s。",
    "Validation errors:": "検証エラー:",
    "The Cedar for this rule appears here.": "このルールから生成されるCedarがここに表示されます。",
    # rule form
    "Edit rule": "ルールの編集",
    "A rule applies to the listed roles and actions when every condition holds. Deny beats step-up, step-up beats "
    "allow; a request no rule allows is denied.":
        "ルールは、指定した役割と操作について、すべての条件を満たすときに適用されます。拒否は追加認証より、追加認証は"
        "許可より優先し、どのルールも許可しない要求は拒否されます。",
    "Step up to": "求める認証の強さ",
    "Only for step-up rules.": "追加認証のルールでのみ指定します。",
    "Sections of the standard": "統一基準群の項番",
    "Comma separated, e.g. 7.3.1(3), 8.1.3(2).": "カンマ区切り（例: 7.3.1(3), 8.1.3(2)）。",
    "Roles (any of)": "役割（いずれか）",
    "Comma separated role names; empty: anyone.": "役割名をカンマ区切りで入力。空欄はすべての利用者。",
    "Actions (empty: all)": "操作（空欄はすべて）",
    "Letters, digits, _ . - (becomes the Cedar @id).": "英数字と _ . -（Cedarの @id になります）。",
    "Conditions (all must hold)": "条件（すべてを満たすとき）",
    "Values: yes/no for flags, numbers, or names (agency, telework, external; read, write …). Separate several "
    "values with commas. A value may name another attribute, e.g. principal.org_unit.":
        "値: 真偽は はい/いいえ（yes/no）、数値、または名前（agency・telework・external、read・write など）。複数の値は"
        "カンマで区切ります。principal.org_unit のように別の属性名を書くと属性どうしを比較します。",
    "Conditions as YAML (advanced)": "条件をYAMLで記述（上級者向け）",
    "A YAML list, e.g. - network != agency, or {any: [...]}. When filled, it replaces the condition rows.":
        "YAMLのリスト（例: - network != agency、{any: [...]}）。入力すると上の条件行の代わりに使われます。",
    "Attribute": "属性",
    "Operator": "演算子",
    "Save rule": "ルールを保存",
    "Rule saved. Check the generated Cedar and publish when ready.":
        "ルールを保存しました。生成されたCedarを確認し、準備ができたら公開してください。",
    "Rule deleted.": "ルールを削除しました。",
    "The rule is not valid: %(problem)s": "ルールが正しくありません: %(problem)s",
    "The conditions are not valid YAML: %(e)s": "条件のYAMLが正しくありません: %(e)s",
    "The conditions must be a YAML list.": "条件はYAMLのリストで記述してください。",
    "Condition %(n)s: choose an attribute and an operator.": "条件%(n)s: 属性と演算子を選んでください。",
    "Condition %(n)s: the operator does not apply to %(attr)s.": "条件%(n)s: この演算子は「%(attr)s」には使えません。",
    "Condition %(n)s: %(e)s": "条件%(n)s: %(e)s",
    "%(attr)s takes yes or no.": "「%(attr)s」には はい または いいえ を指定してください。",
    "%(attr)s takes a whole number.": "「%(attr)s」には整数を指定してください。",
    "%(attr)s takes a value from %(low)s to %(high)s.": "「%(attr)s」には %(low)s から %(high)s までの値を指定してください。",
    "Someone else changed this policy set while you were editing. Reload and try again.":
        "編集中に他の人がこの方針を変更しました。再読み込みしてからやり直してください。",
    # attributes
    "User roles": "利用者の役割",
    "User's organisational unit": "利用者の所属組織",
    "Account disabled": "アカウント無効",
    "Multi-factor authentication": "多要素認証",
    "Phishing-resistant authentication": "フィッシング耐性のある認証",
    "Managed device": "管理された端末",
    "Agency-furnished device": "府省庁支給端末",
    "EDR running": "EDRが稼働",
    "EDR healthy (no open alert)": "EDRが正常（未対応の警告なし）",
    "Days since the last OS security update": "OSのセキュリティ更新からの経過日数",
    "Disk encrypted": "ディスク暗号化",
    "Network (agency / telework / external)": "ネットワーク（庁内 / テレワーク / 外部）",
    "Hour of day (0-23)": "時刻（0〜23時）",
    "Weekday (1 = Monday ... 7)": "曜日（1 = 月曜 … 7 = 日曜）",
    "Resource confidentiality class": "リソースの機密性",
    "Resource integrity class": "リソースの完全性",
    "Resource availability class": "リソースの可用性",
    "Resource handling restrictions": "リソースの取扱制限",
    "Resource's organisational unit": "リソースの所管組織",
    "Action": "操作",
    # operators
    "is": "が次と等しい",
    "is not": "が次と異なる",
    "is less than": "が次より小さい",
    "is at most": "が次以下",
    "is more than": "が次より大きい",
    "is at least": "が次以上",
    "is one of": "が次のいずれか",
    "is none of": "が次のいずれでもない",
    "includes": "が次を含む",
    "does not include": "が次を含まない",
    "includes any of": "が次のいずれかを含む",
    # actions, handling, outcomes
    "read": "閲覧",
    "write": "書込み",
    "download": "ダウンロード",
    "upload": "アップロード",
    "delete": "削除",
    "share": "共有",
    "administer": "管理操作",
    "No copying": "複製禁止",
    "No taking out": "持出禁止",
    "No distribution": "配付禁止",
    "Encryption required": "暗号化必須",
    "Destroy after reading": "読後廃棄",
    "Allow": "許可",
    "Deny": "拒否",
    "Step-up authentication": "追加認証",
    # resources
    "Resource under dynamic access control": "動的なアクセス制御の対象リソース",
    "URL path prefix the PEP protects, e.g. /payroll/ (empty: API use only).":
        "PEPが保護するURLパスのプレフィックス（例: /payroll/。空欄はAPIでの利用のみ）。",
    "A path starting with / without spaces, ? or #.": "/ で始まり、空白・?・# を含まないパスを入力してください。",
    "Control characters are not allowed.": "制御文字は使えません。",
    "Resource saved.": "リソースを保存しました。",
    "Resource deleted.": "リソースを削除しました。",
    "This resource id is already used in the policy set.": "このリソースIDはこの方針で既に使われています。",
    "resource id": "リソースID",
    "owning unit code": "所管組織のコード",
    "rule id": "ルールID",
    "outcome": "結果",
    "step up to": "求める認証の強さ",
    "enabled": "有効",
    "note": "メモ",
    # test form
    "Decides the request with the current rules of this policy set (published or not). Nothing is stored.":
        "この方針の現在のルール（未公開の変更を含む）で要求を判定します。結果は保存されません。",
    "User id": "利用者ID",
    "Resource under access control": "対象リソース",
    "Confidentiality (when no resource is chosen)": "機密性（リソースを選ばない場合）",
    "Resource's organisational unit (when no resource is chosen)": "リソースの所管組織（リソースを選ばない場合）",
    "Network": "ネットワーク",
    "Agency network": "庁内ネットワーク",
    "Telework": "テレワーク",
    "External network": "外部ネットワーク",
    "Decide": "判定する",
    "Access decision": "判定",
    "Determining policies": "判定を決めたポリシー",
    "none (default deny)": "なし（既定で拒否）",
    "Reasons": "理由",
    "Obligation": "義務",
    "re-authenticate with": "次の方式で再認証:",
    "The policy does not validate:": "方針が検証に合格しません:",
    # revisions
    "Revision %(n)s": "第%(n)s版",
    "Policy digest": "方針ダイジェスト",
    "Bundle SHA-256": "バンドルのSHA-256",
    "Signing key id": "署名鍵ID",
    "Download the signed bundle": "署名付きバンドルをダウンロード",
    "Changes from r%(a)s to r%(b)s": "第%(a)s版から第%(b)s版への変更",
    "Contents (first revision)": "内容（初版）",
    "Compare with": "比較対象",
    "Compare": "比較",
    "No differences.": "差分はありません。",
    "Published revision %(n)s (signed bundle).": "第%(n)s版を公開しました（署名付きバンドル）。",
    "Not published: %(reason)s": "公開できませんでした: %(reason)s",
    # decision logs
    "Decisions shipped by the PDPs. User ids are pseudonyms (hmac:…) computed by the PDP with the agency's key.":
        "PDPから送信された判定です。利用者IDは、PDPが機関の鍵で計算した仮名（hmac:…）です。",
    "Policy set": "アクセス制御方針",
    "Policy id": "ポリシーID",
    "User (hash)": "利用者（仮名）",
    "From": "開始日",
    "To": "終了日",
    "Time": "日時",
    "Resource": "リソース",
    "No decisions logged.": "判定ログはありません。",
    "Policy revision": "方針の版",
    "Received": "受信日時",
    "Event": "イベント",
    # rules YAML
    "Rules YAML file": "ルールのYAMLファイル",
    "The format of kijun access compile (rules: [...]); UTF-8 or Shift_JIS. It replaces every rule of this policy set.":
        "kijun access compile と同じ形式（rules: [...]）。UTF-8 または Shift_JIS。この方針のルールをすべて置き換えます。",
    "Import rules YAML": "ルールをYAMLから取り込む",
    "Download rules YAML": "ルールをYAMLでダウンロード",
    "Every rule is validated before anything changes; an invalid file leaves the policy set as it was. The import "
    "is audited and is published only when you publish.":
        "取り込む前にすべてのルールを検証します。誤りがあるファイルでは方針は変わりません。取り込みは監査ログに記録され、"
        "公開するまで配布されません。",
    "Import": "取り込む",
    "Imported %(n)s rules. Check the generated Cedar and publish when ready.":
        "%(n)s件のルールを取り込みました。生成されたCedarを確認し、準備ができたら公開してください。",
    "The rules were not imported: %(reason)s": "ルールを取り込めませんでした: %(reason)s",
    # rule summaries
    "Applies to": "対象（役割 / 操作）",
    "Conditions": "条件",
    "anyone": "すべての利用者",
    "all actions": "すべての操作",
    "or": "または",
    "not": "次ではない:",
    # dashboard
    "Access-control policies awaiting review": "見直し待ちのアクセス制御方針",
    "Access denied by PDPs (24 h)": "PDPによるアクセス拒否（24時間）",
}
