"""Everything the subscriber conversation says, in Arabic and English.

`say()` fills a template with HTML-escaped values (feed names and keywords come from people and
feeds; the bot's messages are sent as HTML) and, for Arabic, marks lines that start with a command
or a digit as right-to-left so Telegram does not lay them out backwards.
"""

from __future__ import annotations

import html

from bot import i18n
from bot.i18n import rtl, text

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "ar": (
            "أهلًا بك في <b>أخبار</b> 📰\n"
            "أرسل إليك ملخصات الأخبار العربية من المصادر التي تختارها، بلا تكرار.\n\n"
            "ابدأ بالأمر /subscribe لتختار المصادر والمواضيع،\n"
            "أو اكتب اسم موضوع مثل «سوريا» وسأبحث لك عن أحدث أخباره.\n"
            "/help لقائمة الأوامر."
        ),
        "en": (
            "Welcome to <b>Akhbar</b> 📰\n"
            "I send you summaries of Arabic news from the sources you choose, without duplicates.\n\n"
            "Start with /subscribe to choose sources and topics,\n"
            "or type a topic such as «Syria» and I will look up its latest news.\n"
            "/help lists every command."
        ),
    },
    "welcome_group": {
        "ar": (
            "أهلًا! أنا بوت <b>أخبار</b> 📰 أرسل ملخصات الأخبار العربية.\n"
            "يستطيع مشرفو هذه المحادثة اختيار المصادر بالأمر /subscribe، و/help لقائمة الأوامر.\n"
            "/language لتغيير لغة الرسائل."
        ),
        "en": (
            "Hello! I am <b>Akhbar</b> 📰, I post summaries of Arabic news.\n"
            "Administrators of this chat can choose the sources with /subscribe; /help lists the commands.\n"
            "/language changes the language."
        ),
    },
    "help": {
        "ar": (
            "<b>أوامر أخبار</b>\n"
            "/subscribe — اختيار المصادر والمواضيع (أو /subscribe الكل لكل المصادر، أو مع اسم مصدر)\n"
            "/unsubscribe — إلغاء اشتراك\n"
            "/mysubs — اشتراكاتي\n"
            "/follow — متابعة كلمة في كل المصادر، مثل: /follow النفط\n"
            "/unfollow — إيقاف متابعة كلمة\n"
            "/topics — المواضيع المتاحة\n"
            "/latest — أحدث الأخبار من اشتراكاتك، مثل: /latest 5\n"
            "/search — البحث في الأخبار (ضع العبارة بين علامتي تنصيص لتجدها كما كُتبت، مثل: /search «حزب الله»)\n"
            "/settings — فوري أو ملخص دوري، المنطقة الزمنية، عدد الجمل، ساعات الهدوء، معاينة الروابط، تجميع الخبر الواحد\n"
            "/language — تغيير اللغة\n"
            "/stop — إيقاف كل الاشتراكات\n"
            "/forget — حذف كل ما أحفظه عنك\n\n"
            "ويمكنك أن تكتب سؤالًا عن موضوع مثل «ما الجديد عن سوريا؟» أو «سوريا» فقط.\n"
            "ولتصل الأخبار إلى مجموعة أو قناة: أضفني إلى المجموعة، أو مشرفًا في القناة، ثم أرسل فيها /subscribe."
        ),
        "en": (
            "<b>Akhbar commands</b>\n"
            "/subscribe — choose sources and topics (or /subscribe all, or /subscribe with a source name)\n"
            "/unsubscribe — remove a subscription\n"
            "/mysubs — my subscriptions\n"
            "/follow — follow a keyword in every source, e.g. /follow oil\n"
            "/unfollow — stop following a keyword\n"
            "/topics — the topics you can follow\n"
            "/latest — the latest news from your subscriptions, e.g. /latest 5\n"
            '/search — search the news (put words in quotes to find them together as written, e.g. /search "Security Council")\n'
            "/settings — instant or digest, time zone, sentences, quiet hours, link previews, one card per story\n"
            "/language — change the language\n"
            "/stop — end every subscription\n"
            "/forget — delete everything I keep about you\n\n"
            "You can also ask about a topic: «what's new about Syria?» or just «Syria».\n"
            "For news in a group or channel: add me to the group, or as an admin of the channel, "
            "then send /subscribe there."
        ),
    },
    # /help in a group: what its members can do there ({bot} is the bot's @username), and that
    # only its admins change what it follows.
    "help.group": {
        "ar": (
            "<b>أوامر أخبار في هذه المحادثة</b>\n"
            "/subscribe — اختيار المصادر والمواضيع التي تُنشر أخبارها هنا (أو /subscribe الكل لكل المصادر، أو مع اسم مصدر)\n"
            "/unsubscribe — إلغاء اشتراك\n"
            "/mysubs — اشتراكات هذه المحادثة\n"
            "/follow — متابعة كلمة في كل المصادر، مثل: /follow النفط\n"
            "/unfollow — إيقاف متابعة كلمة\n"
            "/topics — المواضيع المتاحة\n"
            "/latest — أحدث الأخبار من اشتراكات هذه المحادثة، مثل: /latest 5\n"
            "/search — البحث في الأخبار (ضع العبارة بين علامتي تنصيص لتجدها كما كُتبت، مثل: /search «حزب الله»)\n"
            "/settings — فوري أو ملخص دوري، المنطقة الزمنية، عدد الجمل، ساعات الهدوء، معاينة الروابط، تجميع الخبر الواحد\n"
            "/language — تغيير لغة الرسائل في هذه المحادثة\n"
            "/stop — إيقاف أخبار هذه المحادثة\n"
            "/forget — حذف كل ما أحفظه عن هذه المحادثة\n\n"
            "مشرفو المحادثة وحدهم يغيّرون ما تتابعه وإعداداتها.\n"
            "ولتسألني عن موضوع اذكرني في رسالتك، مثل «{bot} سوريا»، أو ردّ على إحدى إجاباتي."
        ),
        "en": (
            "<b>Akhbar commands in this chat</b>\n"
            "/subscribe — choose the sources and topics whose news is posted here (or /subscribe all, or /subscribe with a source name)\n"
            "/unsubscribe — remove a subscription\n"
            "/mysubs — this chat's subscriptions\n"
            "/follow — follow a keyword in every source, e.g. /follow oil\n"
            "/unfollow — stop following a keyword\n"
            "/topics — the topics you can follow\n"
            "/latest — the latest news from this chat's subscriptions, e.g. /latest 5\n"
            '/search — search the news (put words in quotes to find them together as written, e.g. /search "Security Council")\n'
            "/settings — instant or digest, time zone, sentences, quiet hours, link previews, one card per story\n"
            "/language — change the language of this chat's messages\n"
            "/stop — end this chat's news\n"
            "/forget — delete everything I keep about this chat\n\n"
            "Only this chat's admins change what it follows and its settings.\n"
            "To ask me about a topic, mention me, e.g. «{bot} Syria», or reply to one of my answers."
        ),
    },
    # /help in a channel: said to its admins (only they post there); its readers cannot ask.
    "help.channel": {
        "ar": (
            "<b>أوامر أخبار في هذه القناة</b>\n"
            "/subscribe — اختيار المصادر والمواضيع التي تُنشر أخبارها هنا (أو /subscribe الكل لكل المصادر، أو مع اسم مصدر)\n"
            "/unsubscribe — إلغاء اشتراك\n"
            "/mysubs — اشتراكات هذه القناة\n"
            "/follow — نشر الأخبار التي تذكر كلمة من كل المصادر، مثل: /follow النفط\n"
            "/unfollow — إيقاف متابعة كلمة\n"
            "/topics — المواضيع المتاحة\n"
            "/latest — أحدث الأخبار من اشتراكات هذه القناة، مثل: /latest 5\n"
            "/search — البحث في الأخبار (ضع العبارة بين علامتي تنصيص لتجدها كما كُتبت، مثل: /search «حزب الله»)\n"
            "/settings — فوري أو ملخص دوري، المنطقة الزمنية، عدد الجمل، ساعات الهدوء، معاينة الروابط، تجميع الخبر الواحد\n"
            "/language — تغيير لغة الرسائل في هذه القناة\n"
            "/stop — إيقاف أخبار هذه القناة\n"
            "/forget — حذف كل ما أحفظه عن هذه القناة\n\n"
            "لا يستطيع قرّاء القناة سؤالي فيها؛ يسألونني في محادثة خاصة معي."
        ),
        "en": (
            "<b>Akhbar commands in this channel</b>\n"
            "/subscribe — choose the sources and topics whose news is posted here (or /subscribe all, or /subscribe with a source name)\n"
            "/unsubscribe — remove a subscription\n"
            "/mysubs — this channel's subscriptions\n"
            "/follow — post the stories that mention a keyword, from every source, e.g. /follow oil\n"
            "/unfollow — stop following a keyword\n"
            "/topics — the topics you can follow\n"
            "/latest — the latest news from this channel's subscriptions, e.g. /latest 5\n"
            '/search — search the news (put words in quotes to find them together as written, e.g. /search "Security Council")\n'
            "/settings — instant or digest, time zone, sentences, quiet hours, link previews, one card per story\n"
            "/language — change the language of this channel's posts\n"
            "/stop — end this channel's news\n"
            "/forget — delete everything I keep about this channel\n\n"
            "Readers cannot ask me in the channel; they can in a private chat with me."
        ),
    },
    # Appended to /help when inline mode is switched on for the bot (@BotFather /setinline).
    "help_inline": {
        "ar": "وفي أي محادثة أخرى اكتب {bot} ثم كلمة، لتبحث في الأخبار وتشارك خبرًا.",
        "en": "In any other chat, type {bot} and a word to search the news and share a story.",
    },
    "forget_ask": {
        "ar": "سأحذف كل ما أحفظه عن هذه المحادثة: الإعدادات والاشتراكات والكلمات التي تتابعها وسجل ما "
        "أرسلته إليها، ولن يصل منها شيء بعد ذلك. لا يمكن التراجع عن الحذف. هل تريد المتابعة؟",
        "en": "I will delete everything I keep about this chat: its settings, subscriptions, followed words "
        "and the record of what I sent it, and nothing more will come. This cannot be undone. Go ahead?",
    },
    "forget_yes": {"ar": "احذف كل شيء", "en": "Delete everything"},
    "forget_no": {"ar": "تراجع", "en": "Keep my data"},
    "forgotten": {
        "ar": "حُذف كل ما كنت أحفظه عن هذه المحادثة. أرسل /start إن أردت البدء من جديد.",
        "en": "Everything I kept about this chat is deleted. Send /start if you want to begin again.",
    },
    "forget_kept": {"ar": "لم يُحذف شيء.", "en": "Nothing was deleted."},
    "not_admin": {
        "ar": "عذرًا، مشرفو هذه المحادثة وحدهم يستطيعون تغيير اشتراكاتها وإعداداتها.",
        "en": "Sorry, only this chat's administrators can change its subscriptions and settings.",
    },
    "unknown_command": {
        "ar": "لا أعرف هذا الأمر. أرسل /help لقائمة الأوامر.",
        "en": "I don't know that command. Send /help for the list of commands.",
    },
    "not_registered": {
        "ar": "أرسل /start أولًا لأسجّل هذه المحادثة.",
        "en": "Send /start first so I can register this chat.",
    },
    # /subscribe
    "subscribe_intro": {
        "ar": (
            "اختر المصادر والمواضيع التي تريد أخبارها:\n"
            "اضغط مرة للاشتراك ومرة أخرى للإلغاء، والعلامة ✓ تعني أنك مشترك."
        ),
        "en": (
            "Choose the sources and topics you want news from:\n"
            "press once to subscribe, again to unsubscribe; ✓ marks your subscriptions."
        ),
    },
    "no_feeds": {
        "ar": "لا توجد مصادر أو مواضيع متاحة بعد.",
        "en": "There are no sources or topics yet.",
    },
    "subscribed_all": {
        "ar": "اشتركت في كل المصادر ({total}). جديدها يصلك من الآن.",
        "en": "Subscribed to every source ({total}). Their new stories reach you from now on.",
    },
    "subscribed": {
        "ar": "اشتركت في «{name}». جديده يصلك من الآن.",
        "en": "Subscribed to «{name}». Its new stories reach you from now on.",
    },
    "already_subscribed": {
        "ar": "أنت مشترك في «{name}» من قبل.",
        "en": "You are already subscribed to «{name}».",
    },
    "target_not_found": {
        "ar": "لم أجد مصدرًا أو موضوعًا باسم «{name}». أرسل /subscribe لترى القائمة.",
        "en": "I found no source or topic called «{name}». Send /subscribe to see the list.",
    },
    "target_ambiguous": {
        "ar": "«{name}» يطابق أكثر من خيار: {options}. اكتب الاسم كاملًا.",
        "en": "«{name}» matches more than one: {options}. Type the full name.",
    },
    "toggled_on": {"ar": "✓ اشتركت في «{name}»", "en": "✓ Subscribed to «{name}»"},
    "toggled_off": {"ar": "ألغيت الاشتراك في «{name}»", "en": "Unsubscribed from «{name}»"},
    # A button in /unfollow's list of followed words: said as /unfollow typed says it.
    "toggled_unfollowed": {"ar": "أوقفت متابعة «{name}»", "en": "Stopped following «{name}»"},
    "gone": {
        "ar": "هذا الخيار لم يعد متاحًا.",
        "en": "That choice is no longer available.",
    },
    "done": {"ar": "تم ✓", "en": "Done ✓"},
    "closed": {
        "ar": "حُفظت اشتراكاتك. أرسل /mysubs لتراها.",
        "en": "Your subscriptions are saved. Send /mysubs to see them.",
    },
    # /unsubscribe
    "unsubscribe_intro": {
        "ar": "اضغط على اشتراك لإلغائه:",
        "en": "Press a subscription to remove it:",
    },
    "unsubscribed": {"ar": "ألغيت الاشتراك في «{name}».", "en": "Unsubscribed from «{name}»."},
    "not_subscribed": {"ar": "لست مشتركًا في «{name}».", "en": "You are not subscribed to «{name}»."},
    "unsubscribed_all": {
        "ar": "ألغيت كل اشتراكاتك ({count}).",
        "en": "Removed all your subscriptions ({count}).",
    },
    "no_subscriptions": {
        "ar": (
            "ليست لديك اشتراكات بعد.\n"
            "أرسل /subscribe لتختار المصادر، أو /follow مع كلمة لتتابعها في كل المصادر."
        ),
        "en": "You have no subscriptions yet.\nSend /subscribe to choose sources, or /follow with a keyword.",
    },
    # /mysubs
    "mysubs_header": {"ar": "<b>اشتراكاتك</b>", "en": "<b>Your subscriptions</b>"},
    "mysubs_feeds": {"ar": "المصادر:", "en": "Sources:"},
    "mysubs_topics": {"ar": "المواضيع:", "en": "Topics:"},
    "mysubs_keywords": {"ar": "الكلمات المتابَعة:", "en": "Keywords:"},
    "mysubs_instant": {
        "ar": "طريقة الاستلام: فورية (غيّرها من /settings)",
        "en": "Delivery: instant (change it in /settings)",
    },
    "mysubs_paused": {
        "ar": " (متوقف الآن: لا تصل أخباره حتى يعيد المشرفون تشغيله)",
        "en": " (paused for now: no news from it until the admins resume it)",
    },
    "mysubs_digest": {
        "ar": "طريقة الاستلام: ملخص في {times} بتوقيت {zone} (غيّرها من /settings)",
        "en": "Delivery: digest at {times}, {zone} time (change it in /settings)",
    },
    # /follow, /unfollow
    "follow_usage": {
        "ar": "اكتب الكلمة بعد الأمر، مثل: /follow النفط",
        "en": "Type the keyword after the command, e.g. /follow oil",
    },
    "followed": {
        "ar": "ستصلك الأخبار التي تذكر «{keyword}» من كل المصادر.",
        "en": "You will get stories that mention «{keyword}», from every source.",
    },
    "already_following": {"ar": "أنت تتابع «{keyword}» من قبل.", "en": "You already follow «{keyword}»."},
    # Added to the /follow reply (bot.subscribers.follow_checks): a word in Latin letters that Arabic
    # news writes in Arabic ("Facebook", not فيسبوك) brings little or nothing.
    "follow_latin": {
        "ar": "تنبيه: الأخبار العربية قلّما تكتب {words} بالحروف اللاتينية، فقد لا يصلك منها إلا القليل "
        "أو لا شيء. اكتبها بالحروف العربية كما تكتبها الأخبار لتصلك أخبارها.",
        "en": "Note: Arabic stories rarely write {words} in Latin letters, so few or no stories may come. "
        "Write it in Arabic letters, as the news does, to get its stories.",
    },
    # ... and a word in a large share of the news («قال») brings a flood.
    "follow_flood": {
        "ar": "تنبيه: «{keyword}» ترد في نحو {share} من كل ١٠٠ خبر (نحو {per_day} في اليوم)، فستصلك أخبار "
        "كثيرة. لأخبار أقل تابع كلمة أدق، وأوقف متابعة هذه بالأمر /unfollow {keyword}",
        "en": "Note: «{keyword}» appears in about {share} of every 100 stories (about {per_day} a day), so "
        "you will get many. For fewer, follow a more specific word, and stop this one with "
        "/unfollow {keyword}",
    },
    # Added to the /follow reply for a keyword of several words: matching reads it as a phrase
    # (bot.search.analyzer.matches), and someone who meant "both names, anywhere" should know.
    "follow_phrase": {
        "ar": "تُقرأ «{keyword}» عبارةً: كلماتها متقاربة في الخبر، لا متفرقة فيه. ولأخبار كل كلمة منها "
        "أينما وردت تابعها وحدها.",
        "en": "«{keyword}» is read as a phrase: its words near one another in a story, not scattered "
        "through it. For the stories of each word wherever it appears, follow it on its own.",
    },
    "keyword_empty": {
        "ar": "«{keyword}» لا تحوي كلمة يمكن البحث بها. جرّب كلمة أخرى.",
        "en": "«{keyword}» has no searchable word. Try another keyword.",
    },
    "keyword_operators": {
        "ar": "لا تقرأ المتابعة «-» ولا «أو» ولا NOT وOR (هي للبحث بالأمر /search)، فلن أتابع «{keyword}». "
        "تابع كلمة أو عبارة تذكرها الأخبار، وتابع كل كلمة وحدها لتصلك أخبار أيٍّ منها، مثل "
        "/follow سوريا ثم /follow لبنان.",
        "en": "Following reads no “-”, NOT or OR (they are for /search), so I did not follow «{keyword}». "
        "Follow a word or phrase the stories mention, and each word on its own to get stories with "
        "either, e.g. /follow Syria, then /follow Lebanon.",
    },
    "keyword_too_long": {
        "ar": "الكلمة طويلة جدًا؛ الحد الأقصى لعدد أحرفها: {limit}.",
        "en": "That keyword is too long; the limit is {limit} characters.",
    },
    "too_many_keywords": {
        "ar": "بلغت الحد الأقصى للكلمات المتابَعة ({limit}). ألغِ بعضها بالأمر /unfollow.",
        "en": "You follow the maximum number of keywords ({limit}). Remove some with /unfollow.",
    },
    "unfollow_intro": {
        "ar": "اضغط على كلمة لإيقاف متابعتها:",
        "en": "Press a keyword to stop following it:",
    },
    "no_keywords": {
        "ar": "لا كلمات متابعة الآن. لمتابعة كلمة: /follow النفط",
        "en": "No keywords followed now. To follow one: /follow oil",
    },
    "unfollow_usage": {
        "ar": "اكتب الكلمة بعد الأمر، مثل: /unfollow النفط",
        "en": "Type the keyword after the command, e.g. /unfollow oil",
    },
    "unfollowed": {"ar": "أوقفت متابعة «{keyword}».", "en": "Stopped following «{keyword}»."},
    "not_following": {
        "ar": "لا تتابع «{keyword}». كلماتك: {keywords}",
        "en": "You do not follow «{keyword}». Your keywords: {keywords}",
    },
    "not_following_any": {
        "ar": "لا تتابع «{keyword}»، وليست لديك كلمات متابَعة.",
        "en": "You do not follow «{keyword}», and you follow no keywords.",
    },
    # /topics
    "topics_header": {
        "ar": "<b>المواضيع</b> — اضغط على موضوع للاشتراك فيه أو إلغائه:",
        "en": "<b>Topics</b> — press a topic to subscribe or unsubscribe:",
    },
    "topics_none": {"ar": "لا توجد مواضيع بعد.", "en": "There are no topics yet."},
    # /latest
    "latest_usage": {
        "ar": "اكتب عددًا من ١ إلى {max}، مثل: /latest 5",
        "en": "Give a number from 1 to {max}, e.g. /latest 5",
    },
    # No subscriptions, and the bot has no story at all yet: nothing will come unless they subscribe.
    "latest_none": {
        "ar": "لا توجد أخبار بعد. اختر مصادرك بالأمر /subscribe لتصلك أخبارها فور وصولها.",
        "en": "No stories yet. Choose your sources with /subscribe to get their stories as they arrive.",
    },
    "latest_none_subscribed": {
        "ar": "لا أخبار من اشتراكاتك بعد. ستصلك الجديدة فور وصولها، أو أرسل /subscribe لتضيف مصادر.",
        "en": "Nothing from your subscriptions yet. New stories reach you as they arrive; /subscribe adds more.",
    },
    # In a group any member may ask, and only its admins choose what it follows.
    "latest_none.group": {
        "ar": "لا توجد أخبار بعد. يستطيع مشرفو هذه المحادثة اختيار مصادرها بالأمر /subscribe لتُنشر أخبارها هنا فور وصولها.",
        "en": "No stories yet. This chat's admins can choose its sources with /subscribe, and their stories are posted here as they arrive.",
    },
    # In a channel the one asking is an admin (only they post there).
    "latest_none.channel": {
        "ar": "لا توجد أخبار بعد. اختر مصادر هذه القناة بالأمر /subscribe لتُنشر أخبارها فيها فور وصولها.",
        "en": "No stories yet. Choose this channel's sources with /subscribe to post their stories here as they arrive.",
    },
    "latest_none_subscribed.group": {
        "ar": "لا أخبار من اشتراكات هذه المحادثة بعد. ستُنشر الجديدة هنا فور وصولها، ويستطيع المشرفون إضافة مصادر بالأمر /subscribe.",
        "en": "Nothing from this chat's subscriptions yet. New stories are posted here as they arrive; admins can add more with /subscribe.",
    },
    # /language
    "language_set": {
        "ar": "حسنًا، سأكلمك بالعربية من الآن.",
        "en": "OK, I will talk to you in English from now on.",
    },
    "language_unknown": {
        "ar": "لا أعرف اللغة «{value}». اكتب /language العربية أو /language الإنجليزية.",
        "en": "I don't know the language «{value}». Type /language english or /language arabic.",
    },
    # /stop
    "stopped": {
        "ar": "أوقفت كل اشتراكاتك، ولن أرسل إليك أخبارًا بعد الآن. أرسل /start متى أردت العودة.",
        "en": "All your subscriptions have ended and I will send you no more news. Send /start to come back.",
    },
    # Added to what a /stop-ped chat changed (settings, language): the change is kept, yet nothing
    # comes until it opts in again.
    "stopped_note": {
        "ar": "اشتراكك موقوف؛ أرسل /start لاستئنافه.",
        "en": "Your subscription is stopped; send /start to resume it.",
    },
    # /settings
    "settings_saved": {"ar": "حُفظ ✓", "en": "Saved ✓"},
    "settings_saved_to_digest": {
        "ar": "حُفظ ✓ ستصلك الأخبار من الآن في ملخص عند هذه الأوقات، لا فور وصولها.",
        "en": "Saved ✓ From now on your news comes in a digest at these times, not as it arrives.",
    },
    "settings_saved_to_digest.group": {
        "ar": "حُفظ ✓ ستُنشر أخبار هذه المحادثة من الآن في ملخص عند هذه الأوقات، لا فور وصولها.",
        "en": "Saved ✓ From now on this chat's news is posted in a digest at these times, not as it arrives.",
    },
    "settings_unknown": {
        "ar": "لا أعرف الإعداد «{value}». الإعدادات: الوضع، الأوقات، المنطقة، الجمل، الهدوء، المعاينة، التجميع.",
        "en": "There is no setting «{value}». Settings: mode, digest, timezone, sentences, quiet, previews, grouping.",
    },
    "settings_bad_mode": {
        "ar": "اختر «فوري» أو «ملخص»، مثل: /settings الوضع ملخص",
        "en": "Choose «instant» or «digest», e.g. /settings mode digest",
    },
    "settings_bad_times": {
        "ar": "«{value}» ليست أوقاتًا صالحة. اكتبها هكذا: /settings الأوقات 07:00 19:00 أو /settings الأوقات ٧ صباحًا و٧ مساءً",
        "en": "«{value}» are not valid times. Write them like this: /settings digest 07:00 19:00 or /settings digest 7am 7pm",
    },
    # The limit is prefs.MAX_DIGEST_TIMES.
    "settings_too_many_times": {
        "ar": "يصل الملخص ٦ مرات في اليوم على الأكثر، و«{value}» أكثر من ذلك. اختر ٦ أوقات أو أقل، مثل: /settings الأوقات 07:00 13:00 19:00",
        "en": "A digest comes at most 6 times a day, and «{value}» is more than that. Choose 6 times or fewer, e.g. /settings digest 07:00 13:00 19:00",
    },
    "settings_how_times": {
        "ar": (
            "اكتب أوقات الملخص بعد الأمر (٦ أوقات على الأكثر)، مثل: /settings الأوقات 07:00 19:00 "
            "أو /settings الأوقات ٨ صباحًا و٨ مساءً\nوأرسل /settings وحده لترى أوقاتك الآن."
        ),
        "en": (
            "Type the digest times after the command (at most 6), e.g. /settings digest 07:00 19:00 "
            "or /settings digest 8am 8pm\nSend /settings alone to see your times now."
        ),
    },
    "settings_bad_tz": {
        "ar": (
            "لا أعرف المنطقة الزمنية «{value}». اكتب اسم مدينة أو فرق التوقيت عن غرينتش، "
            "مثل: /settings المنطقة القاهرة أو /settings المنطقة +3"
        ),
        "en": (
            "Unknown time zone «{value}». Type a city or the offset from UTC, e.g. /settings timezone Cairo "
            "or /settings timezone +3 (IANA names such as Africa/Cairo work too)."
        ),
    },
    "settings_bad_tz_etc": {
        "ar": (
            "في «{value}» إشارة الفرق معكوسة (الاسم الدولي يعدّ الساعات غرب غرينتش موجبة)، فلا أعرف أيّ فرق تقصد. "
            "اكتب الفرق عن غرينتش كما تقوله، مثل: /settings المنطقة +3 أو /settings المنطقة -3"
        ),
        "en": (
            "In «{value}» the sign is reversed (Etc/GMT+3 is UTC-3), so I can't tell which you mean. "
            "Type the offset from UTC as you say it, e.g. /settings timezone +3 or /settings timezone -3"
        ),
    },
    "settings_bad_tz_offset": {
        "ar": (
            "لا أعرف منطقة زمنية فرقها عن غرينتش «{value}». اكتب الفرق بالساعات من -١٢ إلى +١٤، "
            "أو بالساعات والدقائق لمنطقة فرقها كذلك مثل +٥:٣٠، أو اسم مدينتك، مثل: /settings المنطقة القاهرة"
        ),
        "en": (
            "No time zone is «{value}» from UTC. Type hours from -12 to +14, or the hours and minutes "
            "of a zone that has them such as +5:30, or your city, e.g. /settings timezone Cairo"
        ),
    },
    "settings_how_tz": {
        "ar": (
            "اكتب مدينتك أو فرق توقيتك عن غرينتش بعد الأمر، مثل: /settings المنطقة القاهرة "
            "أو /settings المنطقة +3\nوأرسل /settings وحده لترى منطقتك الآن."
        ),
        "en": (
            "Type your city or your offset from UTC after the command, e.g. /settings timezone Cairo "
            "or /settings timezone +3\nSend /settings alone to see your time zone now."
        ),
    },
    "settings_bad_sentences": {
        "ar": "اختر عددًا من ١ إلى ٥، مثل: /settings الجمل 3",
        "en": "Choose a number from 1 to 5, e.g. /settings sentences 3",
    },
    "settings_bad_quiet": {
        "ar": "اكتب ساعات الهدوء هكذا: /settings الهدوء 23:00-07:00 أو /settings الهدوء إيقاف",
        "en": "Write quiet hours like this: /settings quiet 23:00-07:00 or /settings quiet off",
    },
    "settings_bad_switch": {
        "ar": "اكتب «تشغيل» أو «إيقاف»، مثل: /settings المعاينة تشغيل",
        "en": "Write «on» or «off», e.g. /settings previews on",
    },
    "settings_bad_grouping": {
        "ar": "اكتب «تشغيل» (رابط في البطاقة الأولى) أو «إيقاف» (بطاقة لكل مصدر)، مثل: /settings التجميع إيقاف",
        "en": "Write «on» (a link on the first card) or «off» (a card from each source), e.g. /settings grouping off",
    },
    # topic questions
    "question_header": {
        "ar": "أحدث ما وجدته عن «{topic}»:",
        "en": "The latest I found about «{topic}»:",
    },
    "question_latest": {"ar": "أحدث الأخبار:", "en": "The latest news:"},
    "question_none": {
        "ar": "لم أجد أخبارًا عن «{topic}» — جرّب كلمة أخرى أو /topics",
        "en": "I found no news about «{topic}» — try another word or /topics",
    },
    "question_too_long": {
        "ar": "السؤال طويل جدًا؛ اكتب موضوعًا قصيرًا مثل «سوريا».",
        "en": "That is too long; type a short topic such as «Syria».",
    },
    "no_words": {
        "ar": "اكتب كلمة أو اسم موضوع مثل «سوريا» وسأبحث لك في الأخبار. /topics للمواضيع و/help لقائمة الأوامر.",
        "en": "Type a word or a topic such as «Syria» and I will search the news. /topics lists the topics, /help the commands.",
    },
    "text_only": {
        "ar": "أقرأ الرسائل النصية فقط. اكتب اسم موضوع مثل «سوريا» وسأبحث لك عن أخباره، أو أرسل /help لقائمة الأوامر.",
        "en": "I only read text messages. Type a topic such as «Syria» and I will look up its news, or send /help.",
    },
    # An admin removed a feed this chat was subscribed to (sent once, through the outbox).
    "feed_removed": {
        "ar": "ℹ️ لم يعد المصدر «{name}» متاحًا، فانتهى اشتراكك فيه. اختر مصادر أخرى بالأمر /subscribe.",
        "en": "ℹ️ The source «{name}» is no longer available, so your subscription to it ended. "
        "Choose other sources with /subscribe.",
    },
    # /start from inline mode's button (an inline search that found nothing).
    "start_search": {
        "ar": "اكتب هنا ما تبحث عنه، مثل «سوريا» أو «النفط»، وسأبحث لك في الأخبار.\n"
        "ولتصلك أخبار مصادرك ومواضيعك أولًا بأول: /subscribe",
        "en": "Type what you are looking for here, e.g. «Syria» or «oil», and I will search the news.\n"
        "To get the news of your sources and topics as it comes: /subscribe",
    },
    "greeting": {
        "ar": "أهلًا بك! اكتب اسم موضوع مثل «سوريا» أو «النفط» وسأبحث لك في الأخبار، أو أرسل /help.",
        "en": "Hello! Type a topic such as «Syria» or «oil» and I will search the news, or send /help.",
    },
    "thanks": {
        "ar": "العفو! اكتب أي موضوع متى شئت وسأبحث لك في الأخبار.",
        "en": "You're welcome! Type any topic whenever you like and I will search the news.",
    },
    # /language without a language: the choice, the current one marked on its button.
    "language_choose": {
        "ar": "اختر اللغة التي أكلمك بها:",
        "en": "Choose the language I talk to you in:",
    },
    # /start from a chat the bot knows (after /stop, after unblocking it, or just again).
    # A group's own words: the chat is its members, not one reader (ChatContext.say picks them).
    "subscribed_all.group": {
        "ar": "اشتركت هذه المحادثة في كل المصادر ({total}). جديدها يصل إليها من الآن.",
        "en": "This chat is subscribed to every source ({total}). Their new stories are posted here from now on.",
    },
    "subscribed.group": {
        "ar": "اشتركت هذه المحادثة في «{name}». جديده يصل إليها من الآن.",
        "en": "This chat is subscribed to «{name}». Its new stories are posted here from now on.",
    },
    "closed.group": {
        "ar": "حُفظت اشتراكات هذه المحادثة. أرسل /mysubs لتراها.",
        "en": "This chat's subscriptions are saved. Send /mysubs to see them.",
    },
    "unsubscribed_all.group": {
        "ar": "ألغيت كل اشتراكات هذه المحادثة ({count}).",
        "en": "Removed all of this chat's subscriptions ({count}).",
    },
    "followed.group": {
        "ar": "ستصل إلى هذه المحادثة الأخبار التي تذكر «{keyword}» من كل المصادر.",
        "en": "Stories that mention «{keyword}», from every source, will be posted here.",
    },
    "follow_latin.group": {
        "ar": "تنبيه: الأخبار العربية قلّما تكتب {words} بالحروف اللاتينية، فقد لا يصل منها إلى هذه "
        "المحادثة إلا القليل أو لا شيء. اكتبها بالحروف العربية كما تكتبها الأخبار لتصل أخبارها.",
        "en": "Note: Arabic stories rarely write {words} in Latin letters, so few or no stories may be "
        "posted here. Write it in Arabic letters, as the news does, to get its stories.",
    },
    "follow_flood.group": {
        "ar": "تنبيه: «{keyword}» ترد في نحو {share} من كل ١٠٠ خبر (نحو {per_day} في اليوم)، فستصل إلى هذه "
        "المحادثة أخبار كثيرة. لأخبار أقل تابع كلمة أدق، وأوقف متابعة هذه بالأمر /unfollow {keyword}",
        "en": "Note: «{keyword}» appears in about {share} of every 100 stories (about {per_day} a day), so "
        "many will be posted here. For fewer, follow a more specific word, and stop this one with "
        "/unfollow {keyword}",
    },
    "language_set.group": {
        "ar": "حسنًا، سأكتب في هذه المحادثة بالعربية من الآن.",
        "en": "OK, I will post in this chat in English from now on.",
    },
    "language_choose.group": {
        "ar": "اختر اللغة التي أكتب بها في هذه المحادثة:",
        "en": "Choose the language I post in, in this chat:",
    },
    "mysubs_header.group": {"ar": "<b>اشتراكات هذه المحادثة</b>", "en": "<b>This chat's subscriptions</b>"},
    "no_subscriptions.group": {
        "ar": (
            "ليست لهذه المحادثة اشتراكات بعد.\n"
            "أرسل /subscribe لتختار المصادر، أو /follow مع كلمة لتتابعها في كل المصادر."
        ),
        "en": "This chat has no subscriptions yet.\nSend /subscribe to choose sources, or /follow with a keyword.",
    },
    "stopped_note.group": {
        "ar": "أخبار هذه المحادثة موقوفة؛ يستطيع مشرفوها استئنافها بالأمر /start.",
        "en": "This chat's news is stopped; its admins can send /start to resume it.",
    },
    "stopped.group": {
        "ar": "أوقفت كل اشتراكات هذه المحادثة، ولن أنشر فيها أخبارًا بعد الآن. يستطيع مشرفوها إعادتها بالأمر /start.",
        "en": "All of this chat's subscriptions have ended and I will post no more news here. "
        "Its admins can send /start to bring it back.",
    },
    "start_stopped_member": {
        "ar": "أوقف مشرفو هذه المحادثة الأخبار فيها، وهم وحدهم يستطيعون إعادتها بالأمر /start.",
        "en": "This chat's admins stopped its news; only they can bring it back with /start.",
    },
    "welcome_back_group": {
        "ar": (
            "أهلًا من جديد! أنا بوت <b>أخبار</b> 📰\n"
            "اشتراكات هذه المحادثة كما هي (عددها: {count})، وستُنشر أخبارها هنا من الآن.\n"
            "يستطيع المشرفون تعديلها بالأمر /subscribe، و/help لقائمة الأوامر."
        ),
        "en": (
            "Hello again! I am <b>Akhbar</b> 📰\n"
            "This chat's subscriptions are as they were ({count}), and their news is posted here from now on.\n"
            "Admins can change them with /subscribe; /help lists the commands."
        ),
    },
    "welcome_back": {
        "ar": (
            "أهلًا بعودتك إلى <b>أخبار</b> 📰\n"
            "اشتراكاتك كما هي (عددها: {count})، وتصلك أخبارها.\n"
            "‏/subscribe لتعديلها، و/help لقائمة الأوامر."
        ),
        "en": (
            "Welcome back to <b>Akhbar</b> 📰\n"
            "Your {count} {count:subscription|subscriptions} {count:is|are} as you left {count:it|them}, "
            "and {count:its|their} news comes to you.\n"
            "/subscribe to change {count:it|them}, /help for every command."
        ),
    },
    "welcome_back_empty": {
        "ar": (
            "أهلًا بعودتك إلى <b>أخبار</b> 📰\n"
            "ليس لديك اشتراكات الآن، فلن يصلك شيء حتى تختار.\n\n"
            "اختر المصادر والمواضيع بالأمر /subscribe،\n"
            "أو اكتب اسم موضوع مثل «سوريا» وسأبحث لك عن أحدث أخباره.\n"
            "/help لقائمة الأوامر."
        ),
        "en": (
            "Welcome back to <b>Akhbar</b> 📰\n"
            "You follow nothing at the moment, so nothing comes until you choose.\n\n"
            "Choose sources and topics with /subscribe,\n"
            "or type a topic such as «Syria» and I will look up its latest news.\n"
            "/help lists every command."
        ),
    },
}


def say(key: str, lang: str, /, **values: object) -> str:
    """The catalog text for `key` in `lang`, values HTML-escaped; RTL-safe lines in Arabic."""
    escaped = {k: html.escape(str(v), quote=False) for k, v in values.items()}
    return rtl(text(TEXTS, key, lang, **escaped), lang)


ECHO_CHARS = 80


def clip(typed: str, limit: int = ECHO_CHARS) -> str:
    """What a user typed, fit to be quoted back: one line, cut with "…". A message may hold 4,096
    characters, so a reply repeating a long argument in full would be refused by Telegram."""
    return i18n.clip(typed, limit)


ANSWER_CHARS = 200  # Telegram refuses a longer answer to a button press


def answer(key: str, lang: str, /, *, name: str) -> str:
    """A button's answer naming a source or topic (plain text, as answers are), the name cut to
    fit: names may run to 200 characters, and a refused answer leaves the button unredrawn."""
    room = ANSWER_CHARS - len(rtl(text(TEXTS, key, lang, name=""), lang))
    return rtl(text(TEXTS, key, lang, name=i18n.clip(name, room)), lang)


def join_names(names: list[str], lang: str) -> str:
    return ("، " if lang == "ar" else ", ").join(f"«{n}»" for n in names)
