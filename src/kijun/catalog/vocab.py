"""Controlled vocabularies for catalog tags.

Other engines query these words (the cloud engine asks for ``cloud`` + ``confidential_only``, the
zero-trust engine for ``zero_trust``), so they are a closed list: the loader rejects unknown words.
Each word carries a Japanese and an English label for the UI.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

#: ``applies_to``: the scope a provision is limited to, or the subject it governs.
APPLIES_TO: Final = MappingProxyType({
    # scope: what kind of information / organisation the provision is limited to
    "confidential_only": ("要機密情報を取り扱う場合のみ", "only when confidential information is handled"),
    "non_confidential_only": ("要機密情報を取り扱わない場合のみ", "only when no confidential information is handled"),
    "confidentiality_class_3": ("機密性3情報", "confidentiality class-3 information"),
    "classified_information": ("要保護情報", "classified (protected) information"),
    "national_organs_only": ("国の行政機関のみ", "national administrative organs only"),
    "incorporated_agencies": ("独立行政法人・指定法人", "incorporated administrative agencies and designated corporations"),
    "shared_government_system": ("政府共通利用型システム", "shared government systems"),
    "critical_systems": ("特に重要な情報システム", "information systems critical to administrative tasks"),
    # governance
    "governance": ("体制・規程", "organisation, roles and rules"),
    "asset_management": ("資産管理・情報システム台帳", "asset management and the system ledger"),
    "risk_assessment": ("リスク評価", "risk assessment"),
    "exceptions": ("例外措置", "exceptional measures"),
    "education": ("教育", "education and training"),
    "incident_response": ("インシデント対処", "incident response"),
    "self_assessment": ("自己点検", "self-assessment"),
    "audit": ("監査", "audit"),
    "review": ("見直し", "review and improvement"),
    # information and places
    "information_handling": ("情報の取扱い", "information handling"),
    "external_storage_media": ("外部電磁的記録媒体", "external storage media"),
    "physical_areas": ("要管理対策区域", "areas requiring control measures"),
    "external_sharing": ("外部との情報共有", "sharing information outside the agency"),
    # outsourcing and supply
    "subcontracting": ("業務委託", "subcontracting"),
    "cloud": ("クラウドサービス", "cloud services"),
    "terms_of_service_based": ("約款によるサービス", "services used under standard terms"),
    "supply_chain": ("サプライチェーン", "supply chain"),
    "equipment_procurement": ("機器等の調達", "procurement of equipment"),
    # systems and components
    "information_systems": ("情報システム全般", "information systems in general"),
    "business_continuity": ("業務継続", "operational continuity"),
    "terminals": ("端末", "terminals"),
    "mobile_terminals": ("要管理対策区域外の端末", "terminals used outside controlled areas"),
    "non_agency_terminals": ("機関等支給以外の端末", "non-agency-furnished terminals (BYOD)"),
    "servers": ("サーバ装置", "server equipment"),
    "email": ("電子メール", "e-mail"),
    "web": ("ウェブ", "web"),
    "dns": ("DNS", "domain name system"),
    "database": ("データベース", "databases"),
    "multifunction_devices": ("複合機", "multifunction devices"),
    "iot": ("特定用途機器・IoT", "equipment for specific purposes and IoT"),
    "network": ("通信回線", "communication lines"),
    "network_equipment": ("通信回線装置", "communication line equipment"),
    "wireless_lan": ("無線LAN", "wireless LAN"),
    "ipv6": ("IPv6", "IPv6"),
    "platform_software": ("基盤ソフトウェア", "platform management software"),
    "applications": ("アプリケーション・コンテンツ", "applications and content"),
    # security functions and threats
    "authentication": ("主体認証", "user/entity authentication"),
    "access_control": ("アクセス制御", "access control"),
    "privilege_management": ("権限管理", "authority (privilege) control"),
    "logging": ("ログ", "logs"),
    "cryptography": ("暗号・電子署名", "encryption and digital signatures"),
    "monitoring": ("監視", "monitoring"),
    "vulnerability_management": ("脆弱性対策", "software vulnerabilities"),
    "malware": ("不正プログラム対策", "malware"),
    "dos": ("サービス不能攻撃対策", "denial-of-service attacks"),
    "targeted_attacks": ("標的型攻撃対策", "targeted attacks"),
    "zero_trust": ("ゼロトラストアーキテクチャ", "zero trust architecture"),
    "dynamic_access_control": ("動的なアクセス制御", "dynamic access control"),
    # use
    "all_staff": ("職員等全員", "every member of staff"),
    "web_conference": ("ウェブ会議", "web conferencing"),
    "social_media": ("ソーシャルメディア", "social media"),
    "telework": ("テレワーク", "teleworking"),
})

#: ``lifecycle_phase``: when in a system's or service's life the provision bites.
LIFECYCLE_PHASES: Final = MappingProxyType({
    "planning": ("企画・要件定義", "planning and requirements"),
    "procurement": ("調達", "procurement"),
    "construction": ("構築・導入", "construction and introduction"),
    "operation": ("運用・保守", "operation and maintenance"),
    "renewal_disposal": ("更改・廃棄", "renewal and disposal"),
    "end_of_use": ("利用終了", "end of use"),
})
