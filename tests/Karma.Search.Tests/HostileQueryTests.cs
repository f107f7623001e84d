using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>Queries are user input: whatever the string, analysis and search answer without throwing.</summary>
public sealed class HostileQueryTests : IClassFixture<HostileQueryTests.Fixture>
{
    private readonly LexicalIndex _index;

    public HostileQueryTests(Fixture fixture) => _index = fixture.Index;

    public sealed class Fixture : IDisposable
    {
        public LexicalIndex Index { get; } = LexicalIndex.InMemory(TestCatalog.Documents(300, seed: 2));

        public void Dispose() => Index.Dispose();
    }

    public static TheoryData<string, string> Queries()
    {
        var random = new Random(99);
        string RandomChars(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(0, 0x10000))]);
        return new TheoryData<string, string>
        {
            { "long words", string.Join(' ', Enumerable.Repeat("shirt jacket", 200_000)) },
            { "one huge token", new string('a', 1_000_000) },
            { "control characters", "\0\u0001\u0002shirt\u0007\b\u001b[31m\r\n\u007f\u0085" },
            { "lone high surrogate", "shirt \uD800 black" },
            { "lone low surrogate", "\uDC00black\uDFFF" },
            { "reversed pair", "\uDE00\uD83D shirt" },
            { "high surrogate at the cut", new string('x', LexicalIndex.MaxQueryChars - 1) + "\uD83D\uDE00 shirt" },
            { "emoji", "👟 running 👟 shoes 🏃‍♀️ 👍🏽 🇩🇪" },
            { "only emoji", "😀😀😀" },
            { "only stop words", "the a an and of to in is it" },
            { "only punctuation", "!!! ??? ... --- /// \\\\ ''' \"\"\" ;;; ***" },
            { "query syntax", "title:shirt AND (red OR blue) NOT x* ~2 ^3 \"quoted\" [a TO z] {b TO c} +must -not /re.*/ \\:" },
            { "sql and html", "'; DROP TABLE items; -- <script>alert(1)</script> %00 ${jndi:x}" },
            { "unicode mix", "Straße ﬁ Ⅻ ＳＨＩＲＴ ｼｬﾂ 东京 \u200B\u200D\uFEFF\uFFFD\uFFFF e\u0301\u0301\u0301" },
            { "right to left", "\u202Eshirt\u202C قميص חולצה" },
            { "random utf-16", RandomChars(20_000) },
            { "many distinct words", string.Join(' ', Enumerable.Range(0, 5000).Select(i => $"w{i}")) },
            { "whitespace", " \t\u00A0\u2003\u3000 " },
        };
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public void HostileQuery_DoesNotThrow(string name, string query)
    {
        IReadOnlyList<string> terms = _index.Terms(query);
        using LexicalMatches matches = _index.Match(query);
        IReadOnlyList<LexicalHit> hits = _index.Search(query, 10);

        Assert.True(terms.Count <= LexicalIndex.MaxQueryTerms, name);
        Assert.Equal(terms.Count, terms.Distinct().Count());
        Assert.True(hits.Count <= 10);
        Assert.Equal(matches.Top(10), hits);
        if (terms.Count == 0)
        {
            Assert.Equal(0, matches.Count);
        }
    }

    [Fact]
    public void HostileQueries_StillFindRealWords()
    {
        Assert.True(_index.Match("\0\u0001shirt\u0007").Count > 0);
        Assert.True(_index.Match("👟 shirt 👟").Count > 0);
        Assert.True(_index.Match("shirt \uD800 black").Count > 0);
    }

    [Fact]
    public void OnlyTheFirstMaxQueryCharsAreRead()
    {
        Assert.Equal(["shirt"], _index.Terms(new string(' ', LexicalIndex.MaxQueryChars - 5) + "shirt"));
        Assert.Equal(["shirt"], _index.Terms(new string(' ', LexicalIndex.MaxQueryChars - 5) + "shirts and more words"));
        Assert.Equal(["shir"], _index.Terms(new string(' ', LexicalIndex.MaxQueryChars - 4) + "shirt")); // cut mid-word
        Assert.Empty(_index.Terms(new string(' ', LexicalIndex.MaxQueryChars) + "shirt"));
    }

    [Fact]
    public void AfterAHostileQuery_TheThreadsAnalyzerStillWorks()
    {
        // The analyzer reuses one token stream per thread; a query must leave it ready for the next one.
        foreach (var row in Queries())
        {
            _index.Terms((string)row[1]);
            Assert.Equal(["black", "shirt"], _index.Terms("black shirts"));
        }
    }
}
