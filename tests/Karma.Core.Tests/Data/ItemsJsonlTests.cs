using Karma.Core.Data;

namespace Karma.Core.Tests.Data;

public sealed class ItemsJsonlTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-items-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Good = """{"item_id":"a","title":"red shoe","category":"x/y","price":3.5,"image_embedding":[1,2]}""";

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"title":"t","category":"c"}""", "missing required field 'item_id'")]
    [InlineData("""{"item_id":"b","title":5,"category":"c"}""", "'title' must be a string")]
    [InlineData("""{"item_id":"b","title":"t","category":"c","price":"cheap"}""", "price must be a non-negative number")]
    [InlineData("""{"item_id":"b","title":"t","category":"c","price":-1}""", "price must be a non-negative number")]
    [InlineData("""{"item_id":"b","title":"t","category":"c","image_embedding":[1,2,3]}""", "ragged image_embedding: 3 numbers, earlier items have 2")]
    [InlineData("""{"item_id":"b","title":"t","category":"c","image_embedding":[1,"x"]}""", "image_embedding[1] is not a finite number")]
    [InlineData("""{"item_id":"a","title":"t","category":"c"}""", "duplicate item_id 'a'")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("""{"item_id":"b","title":"  ","category":"c"}""", "'title' is empty")]
    public void Read_BadLine_NamesLineAndReason(string line, string reason)
    {
        string path = Path.Combine(_dir, "items.jsonl");
        File.WriteAllText(path, Good + "\n" + line + "\n");
        var error = Assert.Throws<DataFormatException>(() => ItemsJsonl.Read(path, BadRowPolicy.Fail, new BadRowReport()));
        Assert.Equal(2, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SkipBad_KeepsGoodItems()
    {
        string path = Path.Combine(_dir, "items.jsonl");
        File.WriteAllText(path, Good + "\n{bad\n\n" + """{"item_id":"c","title":"t","category":"c"}""" + "\n");
        var report = new BadRowReport();
        var items = ItemsJsonl.Read(path, BadRowPolicy.Skip, report);
        Assert.Equal(["a", "c"], items.Select(i => i.ItemId));
        Assert.Equal(1, report.Count);
    }

    [Fact]
    public void WriteThenRead_RoundTrips()
    {
        var items = new[]
        {
            new Item("a", "Red \"runner\" shoe", "light, fast", "apparel/shoes", "acme", 19.99, [0.1f, -2.5f, 3e-8f]),
            new Item("b", "plain mug", null, "home/kitchen", null, null, [1f, 2f, 3f]),
        };
        string path = Path.Combine(_dir, "rt.jsonl");
        ItemsJsonl.Write(path, items);
        var back = ItemsJsonl.Read(path, BadRowPolicy.Fail, new BadRowReport());
        Assert.Equal(items.Length, back.Count);
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(items[i] with { ImageEmbedding = null }, back[i] with { ImageEmbedding = null });
            Assert.Equal(items[i].ImageEmbedding, back[i].ImageEmbedding);
        }
    }
}
