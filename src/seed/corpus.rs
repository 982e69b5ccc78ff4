//! The words demo data is made of: categories, course topics in Korean and English, people's
//! names and lesson text. Pure data; `seed` combines it deterministically.

/// (slug, Korean name, English name)
pub const CATEGORIES: &[(&str, &str, &str)] = &[
    ("ideation", "아이디어 발굴", "Ideation"),
    ("business-model", "비즈니스 모델", "Business models"),
    ("marketing", "마케팅", "Marketing"),
    ("finance", "재무·회계", "Finance"),
    ("fundraising", "투자 유치", "Fundraising"),
    ("pitching", "피칭·IR", "Pitching"),
    ("product", "제품 개발", "Product"),
    ("team", "팀 빌딩·조직", "Team building"),
    ("legal", "법률·세무", "Legal & tax"),
    ("data", "데이터 분석", "Data analysis"),
    ("global", "글로벌 진출", "Going global"),
];

/// Per category: (slug stem, title) pairs, Korean and English mixed as real catalogs are.
pub const TOPICS: &[&[(&str, &str)]] = &[
    &[
        ("problem-discovery", "고객 문제 발견하기"),
        ("idea-validation", "창업 아이디어 검증 실전"),
        ("design-thinking", "디자인 씽킹으로 시작하는 창업"),
        ("lean-startup", "Lean Startup 101"),
        ("customer-interview", "고객 인터뷰 200% 활용법"),
    ],
    &[
        ("lean-canvas", "린 캔버스로 그리는 비즈니스 모델"),
        ("saas-pricing", "SaaS 가격 정책 설계"),
        ("platform-business", "플랫폼 비즈니스의 이해"),
        ("business-model-canvas", "Business Model Canvas in Practice"),
        ("subscription-model", "구독 경제와 수익 모델"),
    ],
    &[
        ("growth-marketing", "그로스 마케팅 입문"),
        ("performance-marketing", "퍼포먼스 마케팅 실전 가이드"),
        ("brand-story", "스타트업 브랜딩과 스토리텔링"),
        ("content-marketing", "Content Marketing for Startups"),
        ("sns-marketing", "인스타그램·유튜브 SNS 마케팅"),
    ],
    &[
        ("startup-accounting", "창업자를 위한 회계 기초"),
        ("unit-economics", "유닛 이코노믹스와 손익분기점"),
        ("financial-modeling", "Financial Modeling Basics"),
        ("cash-flow", "현금 흐름 관리 실무"),
        ("burn-rate", "번 레이트와 런웨이 계산하기"),
    ],
    &[
        ("seed-investment", "시드 투자 유치 전략"),
        ("term-sheet", "투자 계약서(텀시트) 읽는 법"),
        ("valuation", "스타트업 밸류에이션 이해"),
        ("venture-capital", "How Venture Capital Works"),
        ("government-grants", "정부 지원사업 200% 활용하기"),
    ],
    &[
        ("ir-deck", "투자자를 사로잡는 IR 피칭"),
        ("pitch-deck", "Pitch Deck Masterclass"),
        ("demo-day", "데모데이 발표 준비"),
        ("elevator-pitch", "3분 엘리베이터 피치"),
        ("storytelling-pitch", "스토리로 설득하는 피칭"),
    ],
    &[
        ("mvp", "MVP 빠르게 만들기"),
        ("no-code", "노코드로 만드는 첫 서비스"),
        ("product-market-fit", "Product-Market Fit 찾기"),
        ("ux-research", "UX 리서치 실전"),
        ("product-roadmap", "제품 로드맵과 우선순위"),
    ],
    &[
        ("cofounder", "공동창업자 찾기와 지분 나누기"),
        ("hiring", "초기 스타트업 채용 전략"),
        ("okr", "OKR로 목표 관리하기"),
        ("remote-team", "Building Remote Teams"),
        ("startup-culture", "스타트업 조직 문화 만들기"),
    ],
    &[
        ("incorporation", "법인 설립 A to Z"),
        ("stock-options", "스톡옵션 제도 이해"),
        ("startup-tax", "스타트업 세무 기초"),
        ("ip-patent", "특허와 지식재산권 전략"),
        ("privacy-law", "개인정보보호법 실무"),
    ],
    &[
        ("data-driven", "데이터 기반 의사결정"),
        ("sql-for-founders", "창업자를 위한 SQL"),
        ("ab-testing", "A/B 테스트 설계와 분석"),
        ("analytics-dashboard", "Analytics Dashboards that Matter"),
        ("cohort-analysis", "코호트 분석과 리텐션"),
    ],
    &[
        ("global-expansion", "글로벌 시장 진출 전략"),
        ("japan-market", "일본 시장 진출 가이드"),
        ("us-market", "Launching in the US Market"),
        ("southeast-asia", "동남아시아 시장 공략"),
        ("localization", "현지화와 해외 마케팅"),
    ],
];

pub const TITLE_SUFFIXES: &[&str] = &[
    "",
    " 입문",
    " 심화",
    " 실전 워크숍",
    " 완벽 가이드",
    " (2026)",
    " 케이스 스터디",
];

pub const SUMMARIES: &[&str] = &[
    "실제 스타트업 사례로 배우는 단계별 과정입니다. 바로 적용할 수 있는 템플릿을 제공합니다.",
    "처음 창업하는 분들을 위해 핵심 개념부터 실무까지 차근차근 설명합니다.",
    "A practical course built on real startup cases, with templates you can use today.",
    "현직 창업가와 투자자의 노하우를 담은 실전 중심 강의입니다.",
    "From first principles to execution: frameworks, checklists and worked examples.",
    "매 강의마다 과제와 피드백이 있어 혼자서도 끝까지 완주할 수 있습니다.",
];

pub const PARAGRAPHS: &[&str] = &[
    "창업의 첫걸음은 **고객의 문제**를 정확히 정의하는 것입니다. 이 강의에서는 인터뷰와 관찰을 통해 문제를 발견하는 방법을 배웁니다.",
    "시장 규모(TAM, SAM, SOM)를 추정하고, 경쟁사를 분석해 우리만의 차별점을 찾습니다.",
    "Every module ends with a short exercise. You will build a one-page plan you can share with your team and investors.",
    "수익 모델을 설계할 때는 고객 획득 비용(CAC)과 고객 생애 가치(LTV)를 함께 봐야 합니다.",
    "We use the *build–measure–learn* loop to turn assumptions into experiments with clear success criteria.",
    "투자자는 팀, 시장, 트랙션을 봅니다. 각 항목을 설득력 있게 보여주는 자료를 준비하는 방법을 다룹니다.",
    "실습 자료는 강의 페이지에서 내려받을 수 있으며, 질문은 Q&A 게시판에 남겨 주세요.",
];

/// Curriculum parts, in order; a seeded course groups its lessons five to a part.
pub const SECTIONS: &[&str] = &[
    "오리엔테이션",
    "기초 다지기",
    "핵심 실습",
    "실전 사례",
    "심화 전략",
    "정리와 다음 단계",
];

pub const LESSON_TITLES: &[&str] = &[
    "오리엔테이션",
    "핵심 개념 이해하기",
    "사례 연구",
    "실습: 직접 해보기",
    "자주 하는 실수",
    "도구와 템플릿",
    "Q&A 정리",
    "Deep dive",
    "Worked example",
    "체크리스트",
    "전문가 인터뷰",
    "정리와 다음 단계",
];

pub const SURNAMES: &[&str] = &[
    "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권",
];
pub const GIVEN_NAMES: &[&str] = &[
    "민준", "서연", "도윤", "지우", "하준", "서윤", "지호", "하은", "예준", "민서", "주원", "지민",
    "수아", "현우", "지안", "유진",
];
