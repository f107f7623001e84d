using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>The index's scores against BM25 computed by hand from Lucene 4.8's formula.</summary>
public sealed class Bm25ScoringTests
{
    private static LexicalDocument Title(string title) => new(title, null, "", null);

    private static void AssertClose(double expected, float actual, int row)
    {
        double relative = Math.Abs(actual - expected) / expected;
        Assert.True(relative < 1e-5, $"row {row}: expected {expected:R}, got {actual:R} (relative error {relative:E2})");
    }

    [Fact]
    public void TwoTermQuery_ScoresAreTheSumOfPerTermBm25_WithExactlyStoredLengths()
    {
        // Lengths 1, 4 and 16 terms: 1/sqrt(length) is a power of two, which Lucene's one-byte norm stores exactly.
        // Every word here survives the analyzer as one term (no stop words); stemming does not merge any of them.
        using var index = LexicalIndex.InMemory(
        [
            Title("apple"),                                                                      // 0: len 1, apple 1
            Title("apple banana cherry grape"),                                                  // 1: len 4, apple 1, banana 1
            Title("banana banana kiwi lemon"),                                                   // 2: len 4, banana 2
            Title("apple apple apple banana mango mango mango mango mango mango mango mango mango mango mango mango"), // 3: len 16
            Title("apple pear plum peach"),                                                      // 4: len 4, apple 1
            Title("melon"),                                                                      // 5: len 1, no match
        ]);
        const int n = 6;
        const double avgdl = (1 + 4 + 4 + 16 + 4 + 1) / (double)n;
        double apple = Bm25.Idf(n, docFreq: 4);
        double banana = Bm25.Idf(n, docFreq: 3);
        double[] expected =
        [
            Bm25.Term(apple, 1, 1, avgdl),
            Bm25.Term(apple, 1, 4, avgdl) + Bm25.Term(banana, 1, 4, avgdl),
            Bm25.Term(banana, 2, 4, avgdl),
            Bm25.Term(apple, 3, 16, avgdl) + Bm25.Term(banana, 1, 16, avgdl),
            Bm25.Term(apple, 1, 4, avgdl),
        ];

        using LexicalMatches matches = index.Match("apple banana");

        Assert.Equal([0, 1, 2, 3, 4], matches.Rows.ToArray());
        for (int row = 0; row < expected.Length; row++)
        {
            AssertClose(expected[row], matches.Scores[row], row);
            Assert.Equal(matches.Scores[row], matches.ScoreOf(row));
        }

        Assert.Equal(0f, matches.ScoreOf(5));
        Assert.Equal(matches.Scores.ToArray().Max(), matches.MaxScore);
    }

    [Fact]
    public void LossyLengths_AreScoredWithLucenesOneByteNorm()
    {
        // Lengths 2, 3, 5 and 7 are not stored exactly (2 is read back as 2.56, 3 as 4); the expected scores
        // reproduce the quantization. Without it the expected values would be off by far more than the tolerance.
        string[] filler = ["kiwi", "lemon", "mango", "melon", "peach", "pear"];
        int[] lengths = [2, 3, 5, 7, 1];
        var docs = lengths.Select(len => Title(string.Join(' ', ["apple", .. filler.Take(len - 1)]))).ToList();
        using var index = LexicalIndex.InMemory(docs);
        double avgdl = lengths.Sum() / (double)lengths.Length;
        double idf = Bm25.Idf(lengths.Length, docFreq: lengths.Length);

        using LexicalMatches matches = index.Match("apple");

        Assert.Equal(lengths.Length, matches.Count);
        for (int row = 0; row < lengths.Length; row++)
        {
            AssertClose(Bm25.Term(idf, 1, Bm25.StoredLength(lengths[row]), avgdl), matches.Scores[row], row);
        }

        Assert.Equal(2.56, Bm25.StoredLength(2), 6);
        Assert.Equal(4.0, Bm25.StoredLength(3), 6);
        double unquantized = Bm25.Term(idf, 1, 2, avgdl);
        Assert.True(Math.Abs(unquantized - matches.Scores[0]) / unquantized > 1e-3);
    }

    [Fact]
    public void MultiTermScore_IsTheSumOfSingleTermScores_AndRepeatedQueryTermsCountOnce()
    {
        using var index = LexicalIndex.InMemory(TestCatalog.Documents(300, seed: 3));
        using LexicalMatches both = index.Match("linen shirt");
        using LexicalMatches twice = index.Match("Linen linen SHIRT shirts");
        using LexicalMatches linen = index.Match("linen");
        using LexicalMatches shirt = index.Match("shirt");

        Assert.True(linen.Count > 0 && shirt.Count > 0);
        Assert.Equal(both.Rows.ToArray(), linen.Rows.ToArray().Union(shirt.Rows.ToArray()).Order().ToArray());
        foreach (int row in both.Rows)
        {
            float sum = linen.ScoreOf(row) + shirt.ScoreOf(row);
            Assert.Equal(sum, both.ScoreOf(row), sum * 1e-6f);
        }

        Assert.Equal(both.Rows.ToArray(), twice.Rows.ToArray());
        Assert.Equal(both.Scores.ToArray(), twice.Scores.ToArray());
    }
}
