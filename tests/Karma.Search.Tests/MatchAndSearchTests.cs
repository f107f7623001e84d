using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>Match's all-hits result and Search's top k: order, ties, filters, agreement.</summary>
public sealed class MatchAndSearchTests : IClassFixture<MatchAndSearchTests.Fixture>
{
    private readonly LexicalIndex _index;

    public MatchAndSearchTests(Fixture fixture) => _index = fixture.Index;

    public sealed class Fixture : IDisposable
    {
        public LexicalIndex Index { get; } = LexicalIndex.InMemory(TestCatalog.Documents(2_000, seed: 11));

        public void Dispose() => Index.Dispose();
    }

    /// <summary>The reference ranking: every match sorted by score descending, then row ascending.</summary>
    private static LexicalHit[] Ranked(LexicalMatches matches, Func<int, bool>? accept = null)
    {
        var hits = new List<LexicalHit>();
        for (int i = 0; i < matches.Count; i++)
        {
            if (accept is null || accept(matches.Rows[i]))
            {
                hits.Add(new LexicalHit(matches.Rows[i], matches.Scores[i]));
            }
        }

        return [.. hits.OrderByDescending(h => h.Score).ThenBy(h => h.Row)];
    }

    [Fact]
    public void Match_RowsAscending_ScoresPositive_MaxScoreAndScoreOfAgree()
    {
        foreach (string query in TestCatalog.Queries)
        {
            using LexicalMatches matches = _index.Match(query);
            Assert.True(matches.Count > 0, query);
            for (int i = 1; i < matches.Count; i++)
            {
                Assert.True(matches.Rows[i] > matches.Rows[i - 1], query);
            }

            Assert.All(matches.Scores.ToArray(), s => Assert.True(s > 0 && float.IsFinite(s)));
            Assert.Equal(matches.Scores.ToArray().Max(), matches.MaxScore);
            int unmatched = Enumerable.Range(0, _index.Count).First(r => matches.Rows.BinarySearch(r) < 0);
            Assert.Equal(0f, matches.ScoreOf(unmatched));
            Assert.Equal(matches.Scores[matches.Count / 2], matches.ScoreOf(matches.Rows[matches.Count / 2]));
        }
    }

    [Fact]
    public void Search_EqualsTopKOfMatch_ForEveryK()
    {
        foreach (string query in TestCatalog.Queries)
        {
            using LexicalMatches matches = _index.Match(query);
            LexicalHit[] ranked = Ranked(matches);
            foreach (int k in new[] { 1, 5, 50, 1000, matches.Count, matches.Count + 7, int.MaxValue })
            {
                Assert.Equal(ranked.Take(k), _index.Search(query, k));
                Assert.Equal(ranked.Take(k), matches.Top(k));
            }
        }
    }

    [Fact]
    public void Search_RespectsTheFilter_AndStillReturnsTheBestAcceptedRows()
    {
        static bool Even(int row) => row % 2 == 0;
        foreach (string query in TestCatalog.Queries)
        {
            using LexicalMatches matches = _index.Match(query);
            IReadOnlyList<LexicalHit> hits = _index.Search(query, 20, Even);

            Assert.All(hits, h => Assert.True(Even(h.Row)));
            Assert.Equal(Ranked(matches, Even).Take(20), hits);
        }

        Assert.Empty(_index.Search("shirt", 10, _ => false));
    }

    [Fact]
    public void EqualScores_AreBrokenByLowerRowFirst()
    {
        var docs = new List<LexicalDocument>();
        for (int i = 0; i < 12; i++)
        {
            // Rows 2, 5, 7 and 9 are identical, so their scores are exactly equal; the rest do not match.
            docs.Add(i is 2 or 5 or 7 or 9 ? new("green teapot", null, "", null) : new($"filler {i}", null, "", null));
        }

        using var index = LexicalIndex.InMemory(docs);
        IReadOnlyList<LexicalHit> hits = index.Search("teapot", 3);

        Assert.Equal([2, 5, 7], hits.Select(h => h.Row));
        Assert.Single(hits.Select(h => h.Score).Distinct());
        Assert.Equal([5, 7, 9], index.Search("teapot", 3, r => r != 2).Select(h => h.Row));
    }

    [Fact]
    public void BlankOrUnknownQueries_AndNonPositiveK_GiveNothing()
    {
        foreach (string? query in new[] { null, "", "   ", "\t\n", "zzzzunknownword", "the of and" })
        {
            using LexicalMatches matches = _index.Match(query);
            Assert.Equal(0, matches.Count);
            Assert.Equal(0f, matches.MaxScore);
            Assert.Empty(matches.Top(10));
            Assert.Empty(_index.Search(query, 10));
        }

        Assert.Empty(_index.Search("shirt", 0));
        Assert.Empty(_index.Search("shirt", -3));
    }

    [Fact]
    public void DisposedMatches_AreEmpty_AndSecondDisposeIsHarmless()
    {
        LexicalMatches matches = _index.Match("black shirt");
        Assert.True(matches.Count > 0);

        matches.Dispose();
        matches.Dispose();

        Assert.Equal(0, matches.Count);
        Assert.True(matches.Rows.IsEmpty);
        Assert.Equal(0f, matches.ScoreOf(0));
    }
}
