using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>What text becomes searchable and how queries are analyzed.</summary>
public sealed class AnalysisTests
{
    private static LexicalIndex Index(params LexicalDocument[] docs) => LexicalIndex.InMemory(docs);

    [Fact]
    public void Query_IsStemmed_AndStopWordsDropped()
    {
        using var index = Index(
            new LexicalDocument("Running Shoe", null, "", null),
            new LexicalDocument("Table lamp", null, "", null));

        Assert.Equal(["run", "shoe"], index.Terms("running shoes"));
        Assert.Equal(["shoe"], index.Terms("the shoes of the"));
        Assert.Equal([0], index.Match("running shoes").Rows.ToArray());
        Assert.Equal([0], index.Match("shoes for running").Rows.ToArray());
        Assert.Equal(0, index.Match("the and of").Count);
        Assert.Empty(index.Terms("the and of"));
    }

    [Fact]
    public void Possessives_AndCase_AreNormalized()
    {
        using var index = Index(new LexicalDocument("WOMEN'S Jacket", null, "", null));

        Assert.Equal(["women", "jacket"], index.Terms("Women's JACKETS"));
        Assert.Equal(1, index.Match("women jackets").Count);
    }

    [Fact]
    public void CategoryPathWords_BrandAndDescription_AreSearchable()
    {
        using var index = Index(
            new LexicalDocument("Zoom X", null, "footwear/athletic/running-shoe", null),
            new LexicalDocument("Sofa", "deep velvet cushions", "home/living_room/couch", "Kinto"));

        Assert.Equal([0], index.Match("athletic").Rows.ToArray());
        Assert.Equal([0], index.Match("footwear").Rows.ToArray());
        Assert.Equal([0], index.Match("shoe").Rows.ToArray());
        Assert.Equal([1], index.Match("living room").Rows.ToArray()); // '_' separates too
        Assert.Equal([1], index.Match("couches").Rows.ToArray());
        Assert.Equal([1], index.Match("kinto").Rows.ToArray());
        Assert.Equal([1], index.Match("velvet").Rows.ToArray());
    }

    [Fact]
    public void Terms_AreDeduplicated_InFirstOccurrenceOrder_AndCapped()
    {
        using var index = Index(new LexicalDocument("x", null, "", null));
        string many = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"word{i}"));

        Assert.Equal(["shoe", "red"], index.Terms("shoes red shoe RED Shoes"));
        IReadOnlyList<string> capped = index.Terms(many);
        Assert.Equal(LexicalIndex.MaxQueryTerms, capped.Count);
        Assert.Equal("word0", capped[0]);
        Assert.Equal("word31", capped[^1]);
    }

    [Fact]
    public void QuerySyntax_IsPlainText()
    {
        // No query parser: operators, fields, wildcards and negation are just words or punctuation.
        using var index = Index(
            new LexicalDocument("red shoe", null, "", null),
            new LexicalDocument("blue hat", null, "", null));

        Assert.Equal([0], index.Match("NOT shoe").Rows.ToArray()); // "not" is a stop word, not an operator
        Assert.Equal([0], index.Match("-shoe").Rows.ToArray());
        Assert.Equal([0, 1], index.Match("shoe^3 OR hat~2").Rows.ToArray());
        Assert.Equal(["shoe", "3", "hat", "2"], index.Terms("shoe^3 OR hat~2"));
        Assert.Equal(0, index.Match("sho*").Count); // no wildcard expansion
        Assert.Equal(0, index.Match("*").Count);
        Assert.Equal([0, 1], index.Match("red AND hat").Rows.ToArray()); // "and" is a stop word, the rest OR
    }
}
