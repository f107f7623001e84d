using Karma.Core.Package;

namespace Karma.Core.Tests.Package;

public sealed class ItemCatalogFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-catalog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void WriteThenRead_RoundTrips_InRowOrder()
    {
        ItemCatalogEntry[] entries =
        [
            new("b-2", "apparel/shoes", "Red \"runner\" shoe, size 42"),
            new("a-1", "home/kitchen"),
            new("ü-3", "books/ünïcode", "Große Straße – 東京\ttab\nnewline"),
        ];
        string path = PathOf(ItemCatalogFile.FileName);
        ItemCatalogFile.Write(path, entries);
        var catalog = ItemCatalogFile.Read(path);

        Assert.Equal(3, catalog.Count);
        Assert.Equal(entries.Select(e => e.ItemId), catalog.Ids);
        Assert.Equal(entries.Select(e => e.Category), catalog.Categories);
        Assert.Equal(entries.Select(e => e.Title), catalog.Titles);
        Assert.Equal(0, catalog.IndexOf["b-2"]);
        Assert.Equal(2, catalog.IndexOf["ü-3"]);
        Assert.Equal(1, catalog.RowOf("a-1"));
        Assert.Equal(-1, catalog.RowOf("zzz"));
        Assert.Equal(3, File.ReadAllLines(path).Length);
        Assert.Equal([ItemCatalogFile.FileName], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void EmptyCatalog_RoundTrips()
    {
        string path = PathOf("empty.jsonl");
        ItemCatalogFile.Write(path, []);
        Assert.Equal(0, ItemCatalogFile.Read(path).Count);
    }

    [Fact]
    public void Read_IgnoresUnknownFields()
    {
        string path = PathOf("extra.jsonl");
        File.WriteAllText(path, """{"item_id":"a","category":"c","brand":"x","price":3}""" + "\n");
        var catalog = ItemCatalogFile.Read(path);
        Assert.Equal(["a"], catalog.Ids);
        Assert.Null(Assert.Single(catalog.Titles));
    }

    private const string Good = """{"item_id":"a","category":"x/y","title":"t"}""";

    [Theory]
    [InlineData("""{"item_id":"a","category":"z"}""", "duplicate item_id 'a' (first on line 1)")]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"item_id":"b","category":"c",}""", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object, found Array")]
    [InlineData("""{"category":"c"}""", "missing required field 'item_id'")]
    [InlineData("""{"item_id":"b"}""", "missing required field 'category'")]
    [InlineData("""{"item_id":7,"category":"c"}""", "'item_id' must be a string, found Number")]
    [InlineData("""{"item_id":"  ","category":"c"}""", "'item_id' is blank")]
    [InlineData("""{"item_id":"b","category":""}""", "'category' is blank")]
    [InlineData("""{"item_id":"b","category":"c","title":5}""", "'title' must be a string")]
    [InlineData("", "blank line")]
    public void Read_BadSecondLine_NamesFileLineAndReason(string line, string reason)
    {
        string path = PathOf("bad.jsonl");
        File.WriteAllText(path, Good + "\n" + line + "\n" + """{"item_id":"z","category":"c"}""" + "\n");
        var error = Assert.Throws<InvalidDataException>(() => ItemCatalogFile.Read(path));
        Assert.StartsWith(path + ":2: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ItemCatalogFile.Read(PathOf("missing.jsonl")));
    }

    [Fact]
    public void Write_BadEntries_AreRejected_WithoutCreatingTheFile()
    {
        string path = PathOf("w.jsonl");
        var dup = Assert.Throws<ArgumentException>(() => ItemCatalogFile.Write(path, [new("a", "c"), new("b", "c"), new("a", "d")]));
        Assert.Contains("entry 2 repeats item_id 'a' of entry 0", dup.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ItemCatalogFile.Write(path, [new(" ", "c")]));
        Assert.Throws<ArgumentException>(() => ItemCatalogFile.Write(path, [new("a", "")]));
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
