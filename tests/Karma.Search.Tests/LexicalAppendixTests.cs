using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>Documents appended to a built index (items added while serving): rows continue the main index's, scores are BM25 over both.</summary>
public sealed class LexicalAppendixTests
{
    private static readonly LexicalDocument[] Catalog =
    [
        new("red running shoe", null, "footwear/athletic/running-shoe", "Acme"),
        new("blue running shoe", null, "footwear/athletic/running-shoe", "Acme"),
        new("steel kettle", "boils water fast", "home/kitchen/kettle", "Boil"),
    ];

    [Fact]
    public void AppendedDocuments_AreRowsAfterTheMainIndex_ScoredLikeOneIndex()
    {
        using var main = LexicalIndex.InMemory(Catalog);
        using var appendix = new LexicalAppendix(main);
        var first = appendix.Append([new LexicalDocument("zorblax kettle", null, "home/kitchen/kettle", null)]);
        var second = appendix.Append([new LexicalDocument("zorblax lamp", null, "home/lighting/lamp", null), new LexicalDocument("green kettle", null, "home/kitchen/kettle", null)]);
        Assert.Equal(4, first.Count);
        Assert.Equal(6, second.Count);
        Assert.Equal(3, main.Count); // the main index is never written

        // An earlier view still answers for its own documents.
        Assert.Equal([3], first.Search("zorblax", 10).Select(h => h.Row));
        Assert.Equal([3, 4], second.Search("zorblax", 10).Select(h => h.Row).Order());
        Assert.Equal([2, 3, 5], second.Search("kettle", 10).Select(h => h.Row).Order());

        // The same documents indexed at once give the same scores: statistics are summed over both parts.
        using var whole = LexicalIndex.InMemory(
        [
            .. Catalog,
            new LexicalDocument("zorblax kettle", null, "home/kitchen/kettle", null),
            new LexicalDocument("zorblax lamp", null, "home/lighting/lamp", null),
            new LexicalDocument("green kettle", null, "home/kitchen/kettle", null),
        ]);
        foreach (string query in new[] { "kettle", "zorblax kettle", "running shoe", "green" })
        {
            var expected = whole.Search(query, 10);
            var actual = second.Search(query, 10);
            Assert.Equal(expected.Select(h => h.Row), actual.Select(h => h.Row));
            Assert.Equal(expected.Select(h => h.Score), actual.Select(h => h.Score));
        }
    }
}
