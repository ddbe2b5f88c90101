"""What the admin commands say, in Arabic (default) and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "refused": {
        "ar": "عذرًا، هذا الأمر للمشرفين فقط.",
        "en": "Sorry, this command is for admins only.",
    },
    # A file sent by someone who is not an admin: it was no command.
    "refused_file": {
        "ar": "عذرًا، استيراد ملفات المصادر للمشرفين فقط.",
        "en": "Sorry, only admins can import feed lists.",
    },
    # The fetcher's or the parser's own reason (English), set apart below the words for it: what
    # an admin quotes to the outlet or looks up, not a sentence of the reply.
    "technical_detail": {
        "ar": "التفاصيل التقنية:\n{detail}",
        "en": "Technical detail:\n{detail}",
    },
    # /addfeed
    "addfeed_usage": {
        "ar": "أرسل الأمر مع رابط الخلاصة أو رابط الموقع:\n"
        "/addfeed https://example.com/rss [المدة] [الاسم]\n"
        "المدة اختيارية، مثل ‎10m‎ أو ‎1h‎ أو «١٠ دقائق»، والاسم اختياري أيضًا.",
        "en": "Send the command with the feed's or the site's URL:\n"
        "/addfeed https://example.com/rss [interval] [name]\n"
        "The interval (e.g. 10m or 1h) and the name are optional.",
    },
    "added": {
        "ar": "✅ أُضيف المصدر <b>{name}</b> (رقم {id})، ويُفحص كل {interval}.\n"
        "عدد عناصره الآن: {entries}، ولا تصل إلى المشتركين إلا الأخبار الجديدة بعد الآن.",
        "en": "✅ Added <b>{name}</b> (#{id}), checked every {interval}.\n"
        "It has {entries} {entries:item|items} now; subscribers get only new stories from here on.",
    },
    "added_discovered": {
        "ar": "عُثر على الخلاصة في صفحة الموقع:\n{page}",
        "en": "Found the feed on the site's page:\n{page}",
    },
    "added_floored": {
        "ar": "رُفعت المدة إلى الحد الأدنى المسموح: {interval}.",
        "en": "The interval was raised to the allowed minimum: {interval}.",
    },
    "add_invalid_url": {
        "ar": "⚠️ هذا ليس رابطًا صالحًا: {url}\nمثال: /addfeed https://example.com/rss",
        "en": "⚠️ That is not a valid link: {url}\nExample: /addfeed https://example.com/rss",
    },
    "add_bad_interval": {
        "ar": "⚠️ لم أفهم المدة «{value}». اكتبها مثل «١٠ دقائق» أو «ساعة» أو ‎10m‎ أو ‎1h‎، ولا تزيد على أسبوع.",
        "en": "⚠️ I could not read the interval “{value}”. Write it like 10m, 1h or “10 minutes”, "
        "at most a week.",
    },
    # A fetch that failed, {reason} worded by bot.feeds.health.fetch_error_text (as /feed and the
    # admins' alert word it): the status code, the size limit, the seconds waited.
    "add_fetch_failed": {
        "ar": "⚠️ تعذّر جلب الرابط: {reason}.",
        "en": "⚠️ Could not fetch the link: {reason}.",
    },
    # A reason with no words for it (the server's or the parser's own, as code in {detail}).
    "add_unreachable": {
        "ar": "⚠️ تعذّر جلب الرابط، والسبب:\n{detail}",
        "en": "⚠️ Could not reach the link: {detail}",
    },
    # Fetched, but no feed could be read from it: {reason} in the words an import report uses.
    "add_not_feed": {
        "ar": "⚠️ لم يُضف المصدر: {reason}.",
        "en": "⚠️ Not added: {reason}.",
    },
    # After the words for an HTML page, when /addfeed (or an import) found no feed link in it.
    "no_feed_link": {
        "ar": "، ولا تشير الصفحة إلى أي خلاصة",
        "en": ", and the page does not point to one",
    },
    "add_empty": {
        "ar": "⚠️ ردّ الخادم على هذا الرابط بصفحة فارغة: لا أخبار فيها ولا رابط خلاصة. جرّب لاحقًا أو تحقق من الرابط.",
        "en": "⚠️ The server answered that link with an empty page: no news and no feed link in it. "
        "Try again later or check the link.",
    },
    # The page names its feed, and that feed link is what failed ({detail}: the link and why).
    "add_discovered_not_feed": {
        "ar": "⚠️ تشير الصفحة إلى خلاصة، لكن رابطها لا يعطي خلاصة أخبار صالحة:\n{detail}",
        "en": "⚠️ The page points to a feed, but that link does not give a valid news feed:\n{detail}",
    },
    "add_discovered_failed": {
        "ar": "⚠️ تشير الصفحة إلى خلاصة، لكن تعذّر جلبها: {reason}.\n{link}",
        "en": "⚠️ The page points to a feed, but it could not be fetched: {reason}.\n{link}",
    },
    "add_discovered_unreachable": {
        "ar": "⚠️ تشير الصفحة إلى خلاصة، لكن تعذّر جلبها:\n{detail}",
        "en": "⚠️ The page points to a feed, but it could not be fetched:\n{detail}",
    },
    "added_malformed": {
        "ar": "تنبيه: مستند الخلاصة غير سليم البنية، وعدد ما قُرئ منه من عناصر: {entries}، "
        "وقد تفوت البوتَ بعضُ أخباره.\n{detail}",
        "en": "Note: the feed's document is malformed; {entries} {entries:item was|items were} read from it, "
        "and some of its stories may be missed.\n{detail}",
    },
    "add_duplicate_url": {
        "ar": "ℹ️ هذا المصدر موجود من قبل: <b>{existing}</b> (رقم {id}).",
        "en": "ℹ️ This feed is already there: <b>{existing}</b> (#{id}).",
    },
    "add_duplicate_paused": {
        "ar": "وهو موقوف الآن؛ لإعادة تشغيله: /resumefeed {id}",
        "en": "It is paused; to resume it: /resumefeed {id}",
    },
    "add_duplicate_name": {
        "ar": "⚠️ الاسم «{name}» مستخدم لمصدر آخر (رقم {id}). اختر اسمًا آخر.",
        "en": "⚠️ The name “{name}” is used by another feed (#{id}). Choose another name.",
    },
    # remove / pause / resume
    "ref_usage": {
        "ar": "أرسل الأمر مع رقم المصدر أو اسمه، مثل: /{command} 3\nأرسل /feeds لرؤية المصادر.",
        "en": "Send the command with the feed's number or name, e.g. /{command} 3\nSend /feeds to see them.",
    },
    "not_found": {
        "ar": "⚠️ لا يوجد مصدر بهذا الرقم أو الاسم: {ref}\nأرسل /feeds لرؤية المصادر.",
        "en": "⚠️ No feed with that number or name: {ref}\nSend /feeds to see them.",
    },
    "removed": {
        "ar": "🗑 حُذف المصدر <b>{name}</b> (رقم {id}). عدد الاشتراكات الملغاة: {subs}، وتبقى قصصه المحفوظة.",
        "en": "🗑 Removed <b>{name}</b> (#{id}). {subs} {subs:subscription|subscriptions} to it {subs:was|were} cancelled; its stored stories stay.",
    },
    "remove_ask": {
        "ar": "هل تحذف المصدر <b>{name}</b> (رقم {id})؟ تنتهي اشتراكات قرّائه فيه ويُبلَّغون بذلك "
        "(عددهم: {count})، ولا تراجع عن ذلك. قصصه المحفوظة تبقى في البحث.",
        "en": "Remove <b>{name}</b> (#{id})? Subscriptions to it end and their readers are told ({count}); "
        "this cannot be undone. Its stored stories stay searchable.",
    },
    "remove_ask_config": {
        "ar": "هذا المصدر مذكور في ملف الإعدادات: إن حُذف عاد عند إعادة تشغيل البوت، بلا قرّاء. "
        "لإيقاف جلبه مع بقاء اشتراكاتهم: «أوقفه بدلًا من ذلك».",
        "en": "config.toml names this feed: removed, it comes back at the next restart, without its readers. "
        "To stop fetching it and keep their subscriptions: “Pause it instead”.",
    },
    "remove_yes": {"ar": "🗑 احذفه", "en": "🗑 Remove it"},
    "remove_pause": {"ar": "⏸ أوقفه بدلًا من ذلك", "en": "⏸ Pause it instead"},
    "remove_no": {"ar": "تراجع", "en": "Cancel"},
    "remove_kept": {"ar": "لم يُحذف شيء.", "en": "Nothing was removed."},
    "removed_told": {
        "ar": "أُبلغ مشتركوه بذلك (عددهم: {count}).",
        "en": "Its {count:subscriber|subscribers} ({count}) {count:was|were} told.",
    },
    "removed_config": {
        "ar": "تنبيه: هذا المصدر مذكور في ملف الإعدادات، لذا يعود عند إعادة تشغيل البوت. "
        "احذفه من الملف ليختفي نهائيًا، أو أوقفه بالأمر /pausefeed.",
        "en": "Note: config.toml names this feed, so it comes back when the bot restarts. "
        "Remove it from config.toml to drop it for good, or pause it with /pausefeed.",
    },
    "paused": {
        "ar": "⏸ أُوقف المصدر <b>{name}</b> (رقم {id}). يبقى موقوفًا حتى بعد إعادة التشغيل إلى أن تستأنفه بالأمر: /resumefeed {id}",
        "en": "⏸ Paused <b>{name}</b> (#{id}). It stays paused across restarts until you resume it: /resumefeed {id}",
    },
    "already_paused": {
        "ar": "ℹ️ المصدر <b>{name}</b> (رقم {id}) موقوف من قبل.",
        "en": "ℹ️ <b>{name}</b> (#{id}) is already paused.",
    },
    "resumed": {
        "ar": "▶️ استُؤنف المصدر <b>{name}</b> (رقم {id})، وسيُفحص الآن.",
        "en": "▶️ Resumed <b>{name}</b> (#{id}); it is checked now.",
    },
    "already_active": {
        "ar": "ℹ️ المصدر <b>{name}</b> (رقم {id}) يعمل من قبل.",
        "en": "ℹ️ <b>{name}</b> (#{id}) is already active.",
    },
    # /feeds and /feed
    "feeds_empty": {
        "ar": "لا توجد مصادر بعد. أضف واحدًا بالأمر /addfeed.",
        "en": "No feeds yet. Add one with /addfeed.",
    },
    "feeds_header": {
        "ar": "📋 <b>المصادر</b>: {total} (الصفحة {page} من {pages})",
        "en": "📋 <b>Feeds</b>: {total} (page {page} of {pages})",
    },
    "feeds_row": {
        "ar": "<b>{name}</b> (رقم {id}) — {status}\n"
        "آخر نجاح: {last_success} · أخطاء متتالية: {errors} · عناصر يوميًا: {per_day} · مشتركون: {subs}",
        "en": "<b>{name}</b> (#{id}) — {status}\n"
        "last success: {last_success} · errors in a row: {errors} · items/day: {per_day} · subscribers: {subs}",
    },
    "feeds_footer": {
        "ar": "للتفاصيل: /feed رقم المصدر",
        "en": "Details: /feed &lt;number&gt;",
    },
    "never": {"ar": "لم ينجح بعد", "en": "never"},
    "status_active": {"ar": "✅ يعمل", "en": "✅ active"},
    "status_erring": {"ar": "⚠️ يتعثر", "en": "⚠️ failing"},
    "status_paused": {"ar": "⏸ موقوف", "en": "⏸ paused"},
    "status_failing": {"ar": "⛔ متوقف بسبب الأخطاء", "en": "⛔ paused after errors"},
    "origin_config": {"ar": "ملف الإعدادات", "en": "config.toml"},
    "origin_chat": {"ar": "المحادثة", "en": "the chat"},
    "origin_cli": {"ar": "سطر الأوامر", "en": "the command line"},
    "origin_opml": {"ar": "ملف استيراد", "en": "an OPML import"},
    "feed_usage": {
        "ar": "أرسل الأمر مع رقم المصدر أو اسمه، مثل: /feed 3",
        "en": "Send the command with the feed's number or name, e.g. /feed 3",
    },
    "feed_detail": {
        "ar": "<b>{name}</b> (رقم {id}) — {status}\n"
        "الرابط: {url}\n"
        "أُضيف من: {origin} · يُفحص كل {interval}\n"
        "آخر فحص: {last_checked}\n"
        "آخر نجاح: {last_success}\n"
        "أخطاء متتالية: {errors}\n"
        "عناصر يوميًا: {per_day} · مشتركون: {subs} · قصص محفوظة: {stories}",
        "en": "<b>{name}</b> (#{id}) — {status}\n"
        "URL: {url}\n"
        "Added from: {origin} · checked every {interval}\n"
        "Last check: {last_checked}\n"
        "Last success: {last_success}\n"
        "Errors in a row: {errors}\n"
        "Items/day: {per_day} · subscribers: {subs} · stories stored: {stories}",
    },
    "feed_last_error": {
        "ar": "آخر خطأ ({when}): {reason}\n{detail}",
        "en": "Last error ({when}): {reason}\n{detail}",
    },
    # Items per day before a day of history: a figure from a few hours would be a guess.
    "per_day_new": {"ar": "جديد", "en": "new"},
    "feed_no_error": {"ar": "لا أخطاء مسجلة.", "en": "No error recorded."},
    "feed_latest": {"ar": "أحدث القصص:", "en": "Latest stories:"},
    "not_yet": {"ar": "لم يُفحص بعد", "en": "not yet"},
    # /stats
    "stats": {
        "ar": "📊 <b>الإحصاءات</b>\n"
        "المشتركون النشطون: {active} · حظروا البوت أو غادروا: {blocked} · أوقفوا الاشتراك: {stopped}\n"
        "المصادر العاملة: {feeds_active} · الموقوفة: {feeds_paused} · المتوقفة بسبب الأخطاء: {feeds_failing}\n"
        "القصص اليوم: {stories_today} (المعدل {stories_avg} يوميًا)\n"
        "الرسائل المرسلة اليوم: {sent_today} (المعدل {sent_avg} يوميًا)\n"
        "إخفاقات الإرسال اليوم: {failed_today} (في آخر {days} يومًا: {failed_total})\n"
        "رسائل تنتظر الإرسال: {queue}\n\n"
        "الرسم لآخر {days} يومًا: الأعمدة الزرقاء عدد القصص، والخط البرتقالي الرسائل المرسلة، "
        "والعلامات الحمراء الإخفاقات.",
        "en": "📊 <b>Statistics</b>\n"
        "Subscribers: {active} active, {blocked} blocked the bot or left, {stopped} stopped\n"
        "Feeds: {feeds_active} active, {feeds_paused} paused, {feeds_failing} paused after errors\n"
        "Stories today: {stories_today} (average {stories_avg} a day)\n"
        "Messages sent today: {sent_today} (average {sent_avg} a day)\n"
        "Delivery failures today: {failed_today} (in {days} days: {failed_total})\n"
        "Messages waiting to be sent: {queue}\n\n"
        "Chart of the last {days} days: blue bars are stories, the orange line messages sent, "
        "red crosses failures.",
    },
    # /broadcast
    "broadcast_usage": {
        "ar": "أرسل الأمر ثم نص الرسالة، مثل:\n/broadcast تحديث: أُضيفت مصادر جديدة.",
        "en": "Send the command followed by the message, e.g.\n/broadcast Update: new sources were added.",
    },
    "broadcast_too_long": {
        "ar": "⚠️ الرسالة طويلة جدًا: طولها {length}، والحد الأقصى {limit}.",
        "en": "⚠️ The message is too long ({length} characters). The limit is {limit}.",
    },
    "broadcast_nobody": {
        "ar": "لا يوجد مشتركون نشطون بعد، فلن تصل الرسالة إلى أحد. لم يُرسل شيء.",
        "en": "There are no active subscribers yet, so the message would reach no one. Nothing was sent.",
    },
    "broadcast_preview": {
        "ar": "📣 ستُرسل هذه الرسالة إلى كل المشتركين النشطين (عددهم: {count}). هل تؤكد؟\n\n{text}",
        "en": "📣 This message will go to {count} active {count:subscriber|subscribers}. Confirm?\n\n{text}",
    },
    "broadcast_confirm": {"ar": "تأكيد الإرسال", "en": "Send it"},
    "broadcast_cancel": {"ar": "إلغاء", "en": "Cancel"},
    "broadcast_sent": {
        "ar": "✅ دخلت الرسالة الجماعية طابور الإرسال (عدد المستلمين: {count})، وتصلهم تباعًا.\n\n{text}",
        "en": "✅ The broadcast is queued for {count} {count:subscriber|subscribers} and goes out at Telegram's pace.\n\n{text}",
    },
    "broadcast_cancelled": {
        "ar": "❌ أُلغيت الرسالة الجماعية ولم يُرسل شيء.\n\n{text}",
        "en": "❌ Broadcast cancelled; nothing was sent.\n\n{text}",
    },
    "broadcast_already_sent": {
        "ar": "ℹ️ أُرسلت هذه الرسالة من قبل.",
        "en": "ℹ️ This broadcast was already sent.",
    },
    "broadcast_already_cancelled": {
        "ar": "ℹ️ أُلغيت هذه الرسالة من قبل.",
        "en": "ℹ️ This broadcast was already cancelled.",
    },
    "broadcast_not_found": {
        "ar": "⚠️ لم تُعثر على هذه الرسالة.",
        "en": "⚠️ This broadcast no longer exists.",
    },
    # OPML
    "export_caption": {
        "ar": "📤 عدد المصادر: {count}. يمكن استيراد هذا الملف في أي قارئ أخبار، أو إرساله إليّ لاحقًا.",
        "en": "📤 {count} {count:feed|feeds}. Any feed reader can import this file, and so can I.",
    },
    "import_progress": {
        "ar": "📥 جارٍ فحص مصادر الملف: {done} من {count}…",
        "en": "📥 Checking the feeds from the file: {done} of {count}…",
    },
    "import_started": {
        "ar": "📥 جارٍ فحص مصادر الملف (عددها: {count})…",
        "en": "📥 Checking {count} {count:feed|feeds} from the file…",
    },
    "import_bad_file": {
        "ar": "⚠️ تعذّرت قراءة الملف: {reason}",
        "en": "⚠️ Could not read the file: {reason}",
    },
    "opml_not_xml": {"ar": "ليس ملفًا صالحًا لقائمة مصادر.", "en": "it is not a valid OPML/XML file."},
    "opml_not_opml": {"ar": "ليس ملف قائمة مصادر.", "en": "it is not an OPML file."},
    # An RSS/Atom document sent as a file: the admin meant to add that feed.
    "opml_feed_file": {
        "ar": "ليس ملف قائمة مصادر، بل يبدو خلاصة أخبار. لإضافة خلاصة أرسل رابطها مع الأمر /addfeed.",
        "en": "it is not an OPML file but looks like a news feed. To add a feed, send its link with /addfeed.",
    },
    "opml_feed_file_link": {
        "ar": "ليس ملف قائمة مصادر، بل يبدو خلاصة أخبار. لإضافتها أرسل:\n/addfeed {link}",
        "en": "it is not an OPML file but looks like a news feed. To add it, send:\n/addfeed {link}",
    },
    "opml_no_feeds": {"ar": "لا يذكر أي مصدر.", "en": "it lists no feed."},
    "opml_too_large": {
        "ar": "حجمه أكبر من المسموح، والحد الأقصى: {size} ميغابايت.",
        "en": "it is larger than the {size} MB allowed.",
    },
    "opml_too_many": {
        "ar": "يذكر مصادر أكثر من المسموح: عددها فيه {count}، والحد الأقصى {limit}.",
        "en": "it lists {count} feeds, more than the {limit} allowed in one file.",
    },
    "import_report": {
        "ar": "📥 نتيجة الاستيراد: أُضيف {added}، وموجود من قبل {duplicates}، ورُفض {failed}.",
        "en": "📥 Import done: {added} added, {duplicates} already there, {failed} refused.",
    },
    "import_added": {"ar": "أُضيفت:", "en": "Added:"},
    "import_failed": {"ar": "رُفضت:", "en": "Refused:"},
    # When entries were skipped unchecked (not a web address, or the same feed twice in the file).
    "import_report_skipped": {
        "ar": "📥 نتيجة الاستيراد: أُضيف {added}، وموجود من قبل {duplicates}، ورُفض {failed}، "
        "وتُرك دون فحص {skipped}.",
        "en": "📥 Import done: {added} added, {duplicates} already there, {failed} refused, "
        "{skipped} skipped unchecked.",
    },
    "import_added_paused": {"ar": " — موقوف كما في الملف", "en": " — paused, as in the file"},
    "import_existing": {"ar": "موجودة من قبل:", "en": "Already there:"},
    "import_existing_line": {
        "ar": "{entry}: هو المصدر «{existing}» (رقم {id})",
        "en": "{entry}: it is “{existing}” (#{id})",
    },
    "import_existing_paused": {"ar": "، وهو موقوف", "en": ", paused"},
    "import_skipped": {"ar": "تُركت دون فحص:", "en": "Skipped, not checked:"},
    "import_untitled": {"ar": "(بلا اسم ولا عنوان)", "en": "(no title, no address)"},
    # One line per refused or skipped entry: the reason alone, not /addfeed's whole answer.
    "import_why_in_file": {
        "ar": "مكرر في الملف: هو نفسه «{first}»",
        "en": "listed twice in the file: the same feed as “{first}”",
    },
    "import_why_link": {
        "ar": "رابط صفحة وليس عنوان خلاصة، ويمكن إضافته بالأمر /addfeed",
        "en": "a link to a page, not a feed address; /addfeed can add it",
    },
    "import_why_no_address": {"ar": "بلا عنوان خلاصة", "en": "no feed address"},
    "import_why_not_web": {"ar": "ليس عنوان موقع على الويب", "en": "not a web address (http or https)"},
    "import_why_relative": {
        "ar": "عنوان ناقص لا يذكر الموقع",
        "en": "a relative address, with no site in it",
    },
    "import_why_invalid": {"ar": "ليس عنوانًا صالحًا", "en": "not a valid address"},
    # A reason with no words for it, quoted as code in {why}.
    "import_why_failed": {"ar": "تعذّر جلب الخلاصة: {why}", "en": "could not fetch it: {why}"},
    "import_why_discovered": {
        "ar": "تشير صفحته إلى خلاصة لا تعمل: {link}",
        "en": "its page points to a feed that does not work: {link}",
    },
    "and_more": {"ar": "… و{count} غيرها", "en": "… and {count} more"},
    # /audit
    "audit_empty": {"ar": "السجل فارغ.", "en": "The log is empty."},
    "audit_header": {
        "ar": "🧾 <b>سجل إجراءات المشرفين</b> (الصفحة {page} من {pages})",
        "en": "🧾 <b>Admin audit log</b> (page {page} of {pages})",
    },
    "who_admin": {"ar": "المشرف {name}", "en": "admin {name}"},
    "who_cli": {"ar": "سطر الأوامر ({name})", "en": "command line ({name})"},
    "act_feed.add": {"ar": "أضاف مصدرًا", "en": "added a feed"},
    "act_feed.remove": {"ar": "حذف مصدرًا", "en": "removed a feed"},
    "act_feed.pause": {"ar": "أوقف مصدرًا", "en": "paused a feed"},
    "act_feed.resume": {"ar": "استأنف مصدرًا", "en": "resumed a feed"},
    "act_feeds.import": {"ar": "استورد ملف مصادر", "en": "imported a feed list"},
    "act_feeds.export": {"ar": "صدّر قائمة المصادر", "en": "exported the feed list"},
    "act_broadcast.draft": {"ar": "كتب رسالة جماعية", "en": "drafted a broadcast"},
    "act_broadcast.send": {"ar": "أرسل رسالة جماعية", "en": "sent a broadcast"},
    "act_broadcast.cancel": {"ar": "ألغى رسالة جماعية", "en": "cancelled a broadcast"},
    "audit_import": {
        "ar": "أُضيف {added}، ومكرر {duplicates}، ورُفض {refused}",
        "en": "{added} added, {duplicates} {duplicates:duplicate|duplicates}, {refused} refused",
    },
    # As the import's own report counts them: entries skipped unchecked are listed too.
    "audit_import_skipped": {
        "ar": "أُضيف {added}، ومكرر {duplicates}، ورُفض {refused}، وتُرك دون فحص {skipped}",
        "en": "{added} added, {duplicates} {duplicates:duplicate|duplicates}, {refused} refused, "
        "{skipped} skipped unchecked",
    },
    "audit_recipients": {"ar": "عدد المستلمين: {count}", "en": "to {count} {count:subscriber|subscribers}"},
    "audit_feeds": {"ar": "عدد المصادر: {count}", "en": "{count} {count:feed|feeds}"},
    # appended to /help in an admin's private chat
    "help_admin": {
        "ar": "<b>أوامر المشرفين</b>\n"
        "/addfeed — إضافة مصدر: /addfeed الرابط [المدة] [الاسم]\n"
        "/feeds — حالة المصادر، و/feed مع رقم المصدر لتفاصيله\n"
        "/pausefeed و/resumefeed و/removefeed — إيقاف مصدر أو استئنافه أو حذفه، مع رقمه\n"
        "/stats — الإحصاءات، و/audit لسجل الإجراءات\n"
        "/broadcast — رسالة إلى كل المشتركين، بعد التأكيد\n"
        "/export — تصدير المصادر في ملف، وأرسل إليّ ملفًا مثله لاستيراد مصادره",
        "en": "<b>Admin commands</b>\n"
        "/addfeed — add a feed: /addfeed URL [interval] [name]\n"
        "/feeds — feed health, and /feed with a feed's number for its details\n"
        "/pausefeed, /resumefeed, /removefeed — pause, resume or remove a feed, by its number\n"
        "/stats — statistics, and /audit for the log of admin actions\n"
        "/broadcast — a message to every subscriber, after you confirm\n"
        "/export — the feeds as an OPML file; send me such a file to import its feeds",
    },
    # commands menu
    "cmd_addfeed": {"ar": "إضافة مصدر (للمشرفين)", "en": "Add a feed (admins)"},
    "cmd_removefeed": {"ar": "حذف مصدر (للمشرفين)", "en": "Remove a feed (admins)"},
    "cmd_pausefeed": {"ar": "إيقاف مصدر مؤقتًا (للمشرفين)", "en": "Pause a feed (admins)"},
    "cmd_resumefeed": {"ar": "استئناف مصدر (للمشرفين)", "en": "Resume a feed (admins)"},
    "cmd_feeds": {"ar": "حالة المصادر (للمشرفين)", "en": "Feed health (admins)"},
    "cmd_feed": {"ar": "تفاصيل مصدر (للمشرفين)", "en": "Feed details (admins)"},
    "cmd_stats": {"ar": "الإحصاءات (للمشرفين)", "en": "Statistics (admins)"},
    "cmd_broadcast": {"ar": "رسالة لكل المشتركين (للمشرفين)", "en": "Message every subscriber (admins)"},
    "cmd_export": {"ar": "تصدير المصادر (للمشرفين)", "en": "Export the feeds (admins)"},
    "cmd_audit": {"ar": "سجل الإجراءات (للمشرفين)", "en": "Audit log (admins)"},
    # durations
    # Arabic counted nouns: 1 / 2 / 3-10 / 11+ (and any fraction) take different forms.
    "dur_seconds": {"ar": "ثانية واحدة|ثانيتين|{n} ثوانٍ|{n} ثانية", "en": "{n} s"},
    "dur_minutes": {"ar": "دقيقة واحدة|دقيقتين|{n} دقائق|{n} دقيقة", "en": "{n} min"},
    "dur_hours": {"ar": "ساعة واحدة|ساعتين|{n} ساعات|{n} ساعة", "en": "{n} h"},
}
