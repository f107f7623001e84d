using Karma.Core.Package;

namespace Karma.Core.Tests.Package;

/// <summary>A catalog and tables changed while serving: ids move to appended rows, removed ids are gone, earlier snapshots stay as they were.</summary>
public sealed class CatalogChangeTests
{
    private static ItemCatalog Catalog() => ItemCatalog.FromEntries(
        [new("a", "x/y", "A"), new("b", "x/z", null), new("c", "x/y", "C")], "test");

    [Fact]
    public void With_AppendsMovesAndRemoves_WithoutTouchingTheEarlierCatalog()
    {
        var first = Catalog();
        var second = first.With([new("d", "x/z", "D"), new("b", "x/y", "B2")], ["c", "nope"]);
        Assert.Equal(5, second.Count);
        Assert.Equal(["a", "b", "c", "d", "b"], second.Ids);
        Assert.Equal(3, second.RowOf("d"));
        Assert.Equal(4, second.RowOf("b"));
        Assert.Equal(-1, second.RowOf("c"));
        Assert.Equal("B2", second.Titles[4]);
        Assert.Equal(3, second.IndexOf.Count); // a, b, d
        Assert.Equal(["a", "b", "d"], second.IndexOf.Keys.Order());

        var third = second.With([new("c", "x/y", "C again")], ["a"]);
        Assert.Equal(5, third.RowOf("c"));
        Assert.Equal(-1, third.RowOf("a"));
        Assert.Equal(4, third.RowOf("b"));

        // Earlier snapshots keep their view.
        Assert.Equal(1, first.RowOf("b"));
        Assert.Equal(2, first.RowOf("c"));
        Assert.Equal(-1, second.RowOf("c"));
        Assert.Equal(0, second.RowOf("a"));

        Assert.Throws<ArgumentException>(() => first.With([new("e", "x", null), new("e", "x", null)], []));
        Assert.Throws<ArgumentException>(() => first.With([new(" ", "x", null)], []));
    }

    [Fact]
    public void AppendedRows_ReadTheTableThenTheStore()
    {
        using var scratch = new TempDirectory("karma-rows-");
        string dir = scratch.Path;
        string path = Path.Combine(dir, "t.bin");
        VectorTableWriter.Write(path, [1f, 2f, 3f, 4f], 2, 2, VectorElementType.Float16);
        using var table = VectorTable.Open(path);
        var store = new RowStore(2);
        // Enough rows to cross the store's chunk boundary.
        float[] added = Enumerable.Range(0, 2 * 5000).Select(i => (float)i).ToArray();
        Assert.Equal(0, store.Append(added));
        var rows = new AppendedRows(table, store, 4999);
        Assert.Equal(2 + 4999, rows.Rows);
        var got = new float[2];
        rows.CopyRow(1, got);
        Assert.Equal([3f, 4f], got);
        rows.CopyRow(2 + 4500, got);
        Assert.Equal([9000f, 9001f], got);
        var gathered = new float[6];
        rows.Gather([0, 2 + 4098, 1], gathered);
        Assert.Equal([1f, 2f, 8196f, 8197f, 3f, 4f], gathered);
        Assert.Throws<ArgumentOutOfRangeException>(() => rows.CopyRow(2 + 4999, got)); // in the store, not in this snapshot
        Assert.Throws<ArgumentException>(() => store.Append([1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => new AppendedRows(table, new RowStore(3), 0));
    }
}
