using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Core.Tests.Indexing;

/// <summary>Index kinds: one name each, parsed exactly, a bad setting named with the allowed values.</summary>
public sealed class IndexKindTests
{
    [Fact]
    public void EveryKind_HasOneName_ThatParsesBack()
    {
        Assert.Equal(["exact", "hnsw", "onnx-exact"], IndexKinds.Names);
        foreach (var kind in Enum.GetValues<IndexKind>())
        {
            Assert.Equal(kind, IndexKinds.Parse(IndexKinds.Name(kind)));
        }
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("HNSW")]
    [InlineData("")]
    [InlineData(null)]
    public void OtherNames_AreRefused(string? name)
    {
        Assert.False(IndexKinds.TryParse(name, out _));
        Assert.Contains("exact, hnsw, onnx-exact", Assert.Throws<ArgumentException>(() => IndexKinds.Parse(name)).Message, StringComparison.Ordinal);
        var attribute = new IndexKindNameAttribute();
        Assert.False(attribute.IsValid(name));
        Assert.Equal("Index must be exact, hnsw or onnx-exact", attribute.FormatErrorMessage("Index"));
    }

    [Fact]
    public void AnUndefinedKind_HasNoName()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexKinds.Name((IndexKind)99));
    }
}
