// The filter language without a store: what text compiles to (in canonical form), where and
// why bad text is refused, warnings, the field list the filter bar completes from, and
// robustness against hostile input.

#include "filterlanguage.h"

#include <QTest>

#include <random>

using namespace llmaudit;

namespace {

QString canonical(const QString &text)
{
    auto compiled = compileFilter(text);
    if (!compiled)
        return QStringLiteral("ERROR ") + compiled.error().toString();
    return QString::fromStdString(toString(compiled->expr));
}

// A value a field of this type accepts, for building filters from the field list.
QString sampleValue(const FilterFieldInfo &field)
{
    switch (field.type) {
    case FilterType::Text:
    case FilterType::Any:
        return QStringLiteral("\"x\"");
    case FilterType::Integer:
    case FilterType::Number:
        return QStringLiteral("1");
    case FilterType::Boolean:
        return QStringLiteral("true");
    case FilterType::Time:
        return QStringLiteral("\"2026-01-05\"");
    case FilterType::Enum:
        return field.enumNames.value(0);
    case FilterType::Object:
        return {};
    }
    return {};
}

} // namespace

class TestFilterLanguage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("expected"); // canonical form

        auto row = [](const char *filter, const char *expected) {
            QTest::newRow(filter) << QString::fromUtf8(filter) << QString::fromUtf8(expected);
        };
        row("", "");
        row("   \t ", "");
        row("user_id == \"u-17\"", "user_id == \"u-17\"");
        row("user == 'u-17'", "user_id == \"u-17\"");
        row("user_id = \"u-17\"", "user_id == \"u-17\"");
        row("id eq \"abc\"", "interaction_id == \"abc\"");
        row("metrics.latency_ms > 2000", "metrics.latency_ms > 2000");
        row("latency > 2000", "metrics.latency_ms > 2000");
        row("latency > 2s", "metrics.latency_ms > 2000");
        row("latency <= 1m30s", "metrics.latency_ms <= 90000");
        row("latency > -5", "metrics.latency_ms > -5");
        row("latency GE 100 AND user ne \"x\"", "(metrics.latency_ms >= 100 and user_id != \"x\")");
        row("tokens < 1e3", "metrics.total_tokens < 1000.0");
        row("relevance >= .5", "evaluation.relevance_score >= 0.5");
        row("model in {\"gpt-4o\" \"llama3\"}", "model in {\"gpt-4o\" \"llama3\"}");
        row("model in {\"gpt-4o\", \"llama3\"}", "model in {\"gpt-4o\" \"llama3\"}");
        row("model not in {\"gpt-4o\"}", "not model in {\"gpt-4o\"}");
        row("latency in {100..500 1000}", "metrics.latency_ms in {100..500 1000}");
        row("evaluation.flagged", "evaluation.flagged == true");
        row("flagged", "flagged == true");
        row("!flagged", "not flagged == true");
        row("flagged == false", "flagged == false");
        row("review == issue", "review == issue");
        row("review.status in {issue escalated}", "review in {issue escalated}");
        row("review.flagged", "review.flagged == true");
        row("has note", "has note");
        row("held", "held == true");
        row("!held and flagged", "(not held == true and flagged == true)");
        row("notes contains \"legal\"", "note contains \"legal\"");
        row("sensitivity >= confidential", "security.sensitivity_level >= confidential");
        row("sensitivity == \"Restricted\"", "security.sensitivity_level == restricted");
        row("sensitivity in {public..internal}",
            "security.sensitivity_level in {public..internal}");
        row("user == \"a\" or user == \"b\" and flagged",
            "(user_id == \"a\" or (user_id == \"b\" and flagged == true))");
        row("(user == \"a\" or user == \"b\") and flagged",
            "((user_id == \"a\" or user_id == \"b\") and flagged == true)");
        row("not user == \"a\" and flagged", "(not user_id == \"a\" and flagged == true)");
        row("user == \"a\" || user == \"b\" && !flagged",
            "(user_id == \"a\" or (user_id == \"b\" and not flagged == true))");
        row("user == \"a\" or (user == \"b\" or user == \"c\")",
            "(user_id == \"a\" or user_id == \"b\" or user_id == \"c\")");
        row("(((flagged)))", "flagged == true");
        row("not not flagged", "not not flagged == true");
        row("timestamp >= \"2026-01-05\"", "timestamp >= \"2026-01-05\"");
        row("ts > now - 24h", "timestamp > now - 1d");
        row("time < now", "timestamp < now");
        row("time < now+90m", "timestamp < now + 90m");
        row("timestamp == \"2026-01-05T10:00:00Z\"", "timestamp == \"2026-01-05T10:00:00Z\"");
        row("timestamp == \"2026-01-05 10:00\"", "timestamp == \"2026-01-05T10:00Z\"");
        row("timestamp >= \"2026-01-05T10:00:00.5+01:00\"",
            "timestamp >= \"2026-01-05T09:00:00.500Z\"");
        row("ts in {\"2026-01-05\"..\"2026-01-07\"}",
            "timestamp in {\"2026-01-05\"..\"2026-01-07\"}");
        row("text ~ \"liability waiver\"", "text ~ \"liability waiver\"");
        row("prompt ~ \"refund\"", "request.prompt ~ \"refund\"");
        row("context ~ \"vault\"", "request.context ~ \"vault\"");
        row("response ~ \"a\\\" OR b*\"", "response.content ~ \"a\\\" OR b*\"");
        row("has evaluation", "has evaluation");
        row("has replay_of", "has replay_of");
        row("has context", "has request.context");
        row("has evaluation.hallucination_score", "has evaluation.hallucination_score");
        row("evaluation.hallucination_score > 0.5", "evaluation.hallucination_score > 0.5");
        row("security.pii_detected", "security.pii_detected == true");
        row("request.parameters.temperature >= 1", "request.parameters.temperature >= 1");
        row("temperature >= 1.0", "request.parameters.temperature >= 1.0");
        row("parameters.seed == 7", "request.parameters.seed == 7");
        row("cost > 0.01", "metrics.cost_usd > 0.01");
        row("tags == \"legal\"", "tags == \"legal\"");
        row("yara contains \"pii\"", "security.yara_matches contains \"pii\"");
        row("context.source contains \"kb://\"", "request.context.source contains \"kb://\"");
        row("context.metadata.title matches \"^MFA\"",
            "request.context.metadata.title matches \"^MFA\"");
        row("messages.role == \"tool\"", "request.messages.role == \"tool\"");
        row("prompt matches \"\\d+\"", "request.prompt matches \"\\\\d+\"");
        row("user_id == \"say \\\"hi\\\"\\n\\u00e9\"", "user_id == \"say \\\"hi\\\"\\n\u00e9\"");
        row("user_id == 'it\\'s'", "user_id == \"it's\"");
        row("finish_reason == \"length\"", "response.finish_reason == \"length\"");
        row("response.model == \"gpt-4o\"", "response.model == \"gpt-4o\"");
        row("replay_of == \"abc\"", "replay_of == \"abc\"");
    }

    void valid()
    {
        QFETCH(QString, filter);
        QFETCH(QString, expected);
        QCOMPARE(canonical(filter), expected);
        // The canonical form compiles to the same filter.
        auto first = compileFilter(filter);
        QVERIFY(first);
        auto again = compileFilter(QString::fromStdString(toString(first->expr)));
        QVERIFY2(again, qPrintable(again ? QString() : again.error().toString()));
        QVERIFY(again->expr == first->expr);
        QVERIFY(checkFilter(filter).ok());
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<int>("offset");
        QTest::addColumn<QString>("message"); // a fragment of it

        auto row = [](const char *filter, int offset, const char *message) {
            QTest::newRow(filter) << QString::fromUtf8(filter) << offset
                                  << QString::fromUtf8(message);
        };
        row("latncy > 2000", 0, "unknown field 'latncy' (did you mean 'latency'?)");
        row("metrix.latency_ms > 1", 0, "(did you mean 'metrics.latency_ms'?)");
        row("User_ID == \"x\"", 0, "did you mean 'user_id'?");
        row("cost_usd > 1", 0, "unknown field 'cost_usd'");
        row("user_id == ", 11, "expected a value after '==' (text in quotes, a number");
        row("user_id ==", 10, "found the end of the filter");
        row("latency > \"fast\"", 10, "'metrics.latency_ms' is an integer: expected a number");
        row("latency > \"2000\"", 10, "expected a number without quotes");
        row("flagged > true", 8, "'>' does not apply to 'flagged', which is true or false");
        row("evaluation.flagged >= true", 19, "does not apply");
        row("flagged == 1", 11, "expected true or false");
        row("sensitivity == secret", 15,
            "unknown security.sensitivity_level 'secret': expected one of public, internal, "
            "confidential, restricted");
        row("sensitivity == confidental", 15, "(did you mean 'confidential'?)");
        row("sensitivity in {public..secret}", 24, "unknown");
        row("ts > now - 24x", 13, "unknown unit 'x'");
        row("ts > now - 24", 11, "expected a duration after 'now -'");
        row("ts > now -", 10, "expected a duration after 'now -'");
        row("timestamp > \"yesterday\"", 12, "not a date or time");
        row("timestamp > \"2026-02-30\"", 12, "not a date or time");
        row("timestamp > 5", 12, "is a time: write it in quotes");
        row("timestamp > 24h", 12, "a duration is not a time");
        row("latency > 1.5h", 10, "a duration is whole numbers");
        row("latency > 1h30", 12, "expected a unit after 30");
        row("tokens > 2s", 9, "is not a time in milliseconds");
        row("user_id == 17", 11, "'user_id' is text: write the value in quotes, as in == \"17\"");
        row("model == gpt4", 9, "write the value in quotes, \"gpt4\"");
        row("user_id == session_id", 11, "comparing two fields is not supported");
        row("(user_id == \"a\"", 15, "expected ')' to close the '(' at 0");
        row("user_id == \"a\")", 14, "unexpected ')'");
        row("user_id == \"abc", 11, "unterminated text");
        row("prompt matches \"(abc\"", 20, "invalid regular expression");
        row("prompt matches \"a[b\"", 19, "invalid regular expression");
        row("prompt matches 5", 15, "expected a regular expression in quotes");
        row("prompt contains 5", 16, "expected text in quotes after 'contains'");
        row("latency contains \"5\"", 8, "'contains' applies to text");
        row("review == \"open\"", 10, "expected one of unreviewed, approved, issue, escalated");
        row("evaluation > 1", 11, "is an object");
        row("context == \"x\"", 8, "compare one of its fields (context.source");
        row("text contains \"x\"", 5, "text is the full-text search");
        row("latency ~ \"x\"", 8, "not in the full-text index");
        row("text ~ \"!!!\"", 7, "nothing to search for");
        row("text ~ liability", 7, "expected text in quotes after '~'");
        row("user_id.foo == \"x\"", 0, "'user_id' is text: it has no field 'foo'");
        row("\"u-17\" == user_id", 0, "a condition starts with the field");
        row("latency 2000", 8, "expected an operator after 'latency'");
        row("latency & 5", 8, "unexpected '&'");
        row("latency | 5", 8, "unexpected '|'");
        row("model in {}", 9, "an empty set");
        row("model in {\"a\"", 13, "expected '}' to close the '{' at 9");
        row("model in \"a\"", 9, "expected '{' after 'in'");
        row("latency in {5..1}", 15, "an empty range");
        row("user in {\"a\"..\"b\"}", 14, "a range (..) needs numbers");
        row("latency", 0, "not true/false");
        row("has text", 4, "'has text' means nothing");
        row("flagged and text", 12, "text is the full-text search: write text ~ \"words\"");
        row("has 5", 4, "expected a field name after 'has'");
        row("user == \"x\" and", 15, "expected a field name, 'not', 'has' or '('");
        row("not", 3, "expected a field name");
        row("()", 0, "empty parentheses");
        row("metrics. > 5", 0, "expected a field name after 'metrics.'");
        row("latency > 5 5", 12, "expected 'and', 'or' or the end of the filter");
        row("user_id == \"a\\u0000\"", 13, "NUL");
        row("user_id == \"a\\u12\"", 13, "expected four hex digits");
        row("user_id == \"\\ud800\"", 12, "surrogate");
        row("latency > 1.2.3", 13, "unexpected '.' after a number");
        row("user_id == \"x\" and prompt ~ \"é\" and latncy > 1", 36, "unknown field");
        row("ts > now and", 12, "expected a field name");
        row("température > 1", 4, "unexpected character 'é'");
        row("latency > 99999999999999999999999999999999e999999", 10, "number out of range");
    }

    void invalid()
    {
        QFETCH(QString, filter);
        QFETCH(int, offset);
        QFETCH(QString, message);
        auto compiled = compileFilter(filter);
        QVERIFY2(!compiled, qPrintable(canonical(filter)));
        const FilterDiagnostic &error = compiled.error();
        QVERIFY2(error.message.contains(message), qPrintable(error.toString()));
        QCOMPARE(error.offset, qsizetype(offset));
        QVERIFY(error.length >= 0);
        QVERIFY(error.offset + error.length <= filter.size());
        QVERIFY(error.toString().startsWith(QStringLiteral("at %1: ").arg(offset)));
        const FilterCheck check = checkFilter(filter);
        QVERIFY(!check.ok());
        QCOMPARE(*check.error, error);
    }

    void errorSpans()
    {
        // The span covers what is wrong: the filter bar underlines exactly that.
        auto error = compileFilter(u"latncy > 2000").error();
        QCOMPARE(error.length, qsizetype(6));
        error = compileFilter(u"user_id == 17").error();
        QCOMPARE(error.offset, qsizetype(11));
        QCOMPARE(error.length, qsizetype(2));
        error = compileFilter(u"ts > now - 24x").error();
        QCOMPARE(error.length, qsizetype(1));
        error = compileFilter(u"user_id == ").error();
        QCOMPARE(error.length, qsizetype(0)); // at the end
    }

    void warnings()
    {
        auto compiled =
            compileFilter(u"metrics.latncy_ms > 5 and evaluation.hallucination_score > 0.5");
        QVERIFY(compiled);
        QCOMPARE(compiled->warnings.size(), size_t(1));
        QCOMPARE(compiled->warnings[0].offset, qsizetype(0));
        QCOMPARE(compiled->warnings[0].length, qsizetype(17));
        QVERIFY(compiled->warnings[0].message.contains(u"did you mean 'metrics.latency_ms'?"));
        const FilterCheck check = checkFilter(u"metrics.latncy_ms > 5");
        QVERIFY(check.ok());
        QCOMPARE(check.warnings.size(), size_t(1));
        QVERIFY(compileFilter(u"security.pii_detected and request.parameters.top_k > 3")
                    ->warnings.empty());
    }

    void typesOfFields()
    {
        auto field = [](const char *text) {
            auto compiled = compileFilter(QString::fromUtf8(text));
            if (!compiled)
                qFatal("%s", qPrintable(compiled.error().toString()));
            return compiled->expr.root->field;
        };
        const FilterField latency = field("latency > 1");
        QCOMPARE(latency.path, (std::vector<std::string>{"metrics", "latency_ms"}));
        QCOMPARE(latency.type, FilterType::Integer);
        QVERIFY(latency.declared);
        const FilterField tags = field("tags == \"x\"");
        QVERIFY(tags.many);
        QCOMPARE(tags.type, FilterType::Text);
        const FilterField source = field("context.source == \"x\"");
        QCOMPARE(source.path, (std::vector<std::string>{"request", "context", "[]", "source"}));
        const FilterField temperature = field("temperature > 1");
        QCOMPARE(temperature.type, FilterType::Number);
        QVERIFY(!temperature.declared); // parameters are not validated on import
        const FilterField undeclared = field("security.pii_detected");
        QCOMPARE(undeclared.type, FilterType::Any);
        const FilterField model = field("model == \"x\"");
        QCOMPARE(model.derived, FilterField::Derived::Model);
        const FilterField sensitivity = field("sensitivity > public");
        QCOMPARE(sensitivity.enumNames,
                 (std::vector<std::string>{"public", "internal", "confidential", "restricted"}));
    }

    void fieldList()
    {
        const auto &fields = filterFields();
        auto find = [&](const char *name) -> const FilterFieldInfo * {
            for (const auto &f : fields)
                if (f.name == QLatin1StringView(name))
                    return &f;
            return nullptr;
        };
        const FilterFieldInfo *latency = find("metrics.latency_ms");
        QVERIFY(latency);
        QVERIFY(latency->aliases.contains(u"latency"_qs));
        QCOMPARE(latency->type, FilterType::Integer);
        QVERIFY(find("text") && find("text")->fullText);
        QVERIFY(find("request.prompt")->fullText);
        QVERIFY(find("tags")->list);
        QVERIFY(find("request.context.source")->list);
        QVERIFY(!find("request.context")->list); // objects: only presence applies
        QVERIFY(!find("user_id")->list);
        QCOMPARE(find("security.sensitivity_level")->enumNames.size(), qsizetype(4));
        QVERIFY(find("request.parameters.temperature"));
        QCOMPARE(filterOperators(*find("text")), QStringList{u"~"_qs});
        QVERIFY(filterOperators(*latency).contains(u">="_qs));
        QVERIFY(!filterOperators(*find("evaluation.flagged")).contains(u">"_qs));
        QCOMPARE(find("review")->enumNames,
                 (QStringList{u"unreviewed"_qs, u"approved"_qs, u"issue"_qs, u"escalated"_qs}));
        QVERIFY(find("note")->list);
        QVERIFY(find("flagged")->description.contains(u"reviewer"_qs));

        // Everything the list offers compiles: each field under each of its names, with each
        // operator the list says applies.
        int compiled = 0;
        for (const auto &f : fields) {
            QStringList names = f.aliases;
            names.prepend(f.name);
            for (const QString &name : names) {
                for (const QString &op : filterOperators(f)) {
                    QString text;
                    if (op == u"has")
                        text = u"has "_qs + name;
                    else if (op == u"~")
                        text = name + u" ~ \"words\""_qs;
                    else if (op == u"in" || op == u"not in")
                        text = name + u' ' + op + u" {"_qs + sampleValue(f) + u'}';
                    else if (op == u"matches" || op == u"contains")
                        text = name + u' ' + op + u" \"x\""_qs;
                    else
                        text = name + u' ' + op + u' ' + sampleValue(f);
                    if (name == u"text" && op == u"has")
                        continue;
                    auto result = compileFilter(text);
                    QVERIFY2(result, qPrintable(text + u": "_qs +
                                                (result ? QString() : result.error().toString())));
                    ++compiled;
                }
            }
        }
        QVERIFY(compiled > 200);
    }

    void hostileInput()
    {
        // Deep nesting is refused with a position, not a stack overflow.
        const QString deep = QString(200, u'(') + u"flagged"_qs + QString(200, u')');
        auto nested = compileFilter(deep);
        QVERIFY(!nested);
        QVERIFY(nested.error().message.contains(u"nested too deeply"));
        QCOMPARE(nested.error().offset, qsizetype(48)); // the 49th level
        QVERIFY(!compileFilter(QString(100000, u'!') + u"flagged"_qs));
        QVERIFY(compileFilter(QString(48, u'(') + u"flagged"_qs + QString(48, u')')));

        // A NUL character in the text.
        QString withNul = u"user_id == \"a"_qs;
        withNul += QChar(0);
        withNul += u"\""_qs;
        auto nul = compileFilter(withNul);
        QVERIFY(!nul);
        QCOMPARE(nul.error().offset, qsizetype(13));
        QString bareNul = u"flagged "_qs;
        bareNul += QChar(0);
        QCOMPARE(compileFilter(bareNul).error().offset, qsizetype(8));

        // Long but legal: 5000 alternatives, and a long literal.
        QStringList terms;
        for (int i = 0; i < 5000; ++i)
            terms << u"user_id == \"u-%1\""_qs.arg(i);
        auto wide = compileFilter(terms.join(u" or "_qs));
        QVERIFY(wide);
        QCOMPARE(wide->expr.root->children.size(), size_t(5000));
        QVERIFY(compileFilter(u"prompt contains \""_qs + QString(200000, u'a') + u'"'));
        auto tooLong = compileFilter(QString(1'000'001, u' '));
        QVERIFY(!tooLong);
        QVERIFY(tooLong.error().message.contains(u"too long"));

        // Random bytes and random token soup never crash, and errors stay inside the text.
        std::mt19937 random(7);
        const QStringList pieces = {u"("_qs,       u")"_qs,     u"{"_qs,           u"}"_qs,
                                    u"and"_qs,     u"or"_qs,    u"not"_qs,         u"!"_qs,
                                    u"=="_qs,      u"<"_qs,     u">="_qs,          u"in"_qs,
                                    u"~"_qs,       u"has"_qs,   u"latency"_qs,     u"user"_qs,
                                    u"\"x\""_qs,   u"5"_qs,     u"2s"_qs,          u"now"_qs,
                                    u"-"_qs,       u".."_qs,    u"tags"_qs,        u"contains"_qs,
                                    u"matches"_qs, u"\"(\""_qs, u"sensitivity"_qs, u"public"_qs,
                                    u"\""_qs,      u"\\"_qs,    u","_qs,           u"text"_qs};
        for (int round = 0; round < 3000; ++round) {
            QString text;
            const int length = int(random() % 12);
            for (int i = 0; i < length; ++i) {
                if (round % 3 == 0)
                    text += QChar(char16_t(random() % 0x3000));
                else
                    text += pieces[qsizetype(random() % pieces.size())] + u' ';
            }
            auto result = compileFilter(text);
            if (!result) {
                QVERIFY(result.error().offset >= 0);
                QVERIFY(result.error().offset + result.error().length <= text.size());
                QVERIFY(!result.error().message.isEmpty());
            } else {
                // What compiles prints and compiles back to itself.
                auto again = compileFilter(QString::fromStdString(toString(result->expr)));
                QVERIFY2(again && again->expr == result->expr, qPrintable(text));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestFilterLanguage)
#include "tst_filterlanguage.moc"
