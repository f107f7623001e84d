using System.Text;
using Karma.Core.Data;
using Karma.Serving.Core.Items;

namespace Karma.Serving.Core.Tests.Items;

/// <summary>The file item log and its entries: positions, torn and damaged lines, the JSON of a change, folding into a catalog.</summary>
public sealed class ItemLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-item-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Item Item(string id, string title = "red lamp", string category = "home/lighting/lamp")
        => new(id, title, "a description, with \"quotes\"\nand a line break", category, "Brand", 12.5, [0.5f, -1e-3f, 3f]);

    [Fact]
    public void Change_RoundTripsThroughJson()
    {
        var upsert = ItemChange.Upsert([Item("a"), Item("b") with { Price = null, ImageEmbedding = null, Brand = null, Description = null }])
            with { Time = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123) };
        var back = ItemChange.Parse(upsert.ToJson(), "test");
        Assert.Equal(ItemChangeKind.Upsert, back.Kind);
        Assert.Equal(upsert.Time, back.Time);
        Assert.Equal(2, back.Items.Count);
        Assert.Equal(upsert.Items[0] with { ImageEmbedding = null }, back.Items[0] with { ImageEmbedding = null });
        Assert.Equal(upsert.Items[0].ImageEmbedding, back.Items[0].ImageEmbedding);
        Assert.Equal(upsert.Items[1], back.Items[1]);
        Assert.DoesNotContain('\n', upsert.ToJson()); // one line per entry

        var remove = ItemChange.Parse(ItemChange.Remove(["x", "y"]).ToJson(), "test");
        Assert.Equal(ItemChangeKind.Remove, remove.Kind);
        Assert.Equal(["x", "y"], remove.ItemIds);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "expected")]
    [InlineData("{\"op\":\"rename\"}", "expected")]
    [InlineData("{\"op\":\"remove\",\"item_ids\":[\"\"]}", "item_ids[0]")]
    [InlineData("{\"op\":\"upsert\",\"items\":[{\"item_id\":\"a\",\"category\":\"c\"}]}", "missing required field 'title'")]
    [InlineData("{\"op\":\"upsert\",\"items\":[{\"item_id\":\"a\",\"title\":\"t\",\"category\":\"c\",\"image_embedding\":[1,\"x\"]}]}", "image_embedding[1]")]
    public void DamagedChange_IsNamed(string json, string expected)
    {
        var e = Assert.Throws<DataFormatException>(() => ItemChange.Parse(json, "entry 7"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("entry 7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileLog_ReadsAfterAPosition_SkipsDamagedLines_AndLeavesATornTailForLater()
    {
        using var log = new FileItemLog(Path.Combine(_dir, "sub", "log.jsonl"));
        Assert.Empty(await log.ReadAfterAsync(null, 10, default));
        Assert.Null(await log.LastPositionAsync(default));
        string p1 = await log.AppendAsync(ItemChange.Upsert([Item("a")]), default);
        string p2 = await log.AppendAsync(ItemChange.Remove(["a"]), default);
        Assert.True(log.Compare(p1, p2) < 0);
        Assert.True(log.Compare(null, p1) < 0);
        Assert.Equal(p2, await log.LastPositionAsync(default));

        var all = await log.ReadAfterAsync(null, 10, default);
        Assert.Equal([p1, p2], all.Select(e => e.Position));
        Assert.NotNull(all[0].Change!.Time);
        Assert.Equal([p2], (await log.ReadAfterAsync(p1, 10, default)).Select(e => e.Position));
        Assert.Single(await log.ReadAfterAsync(null, 1, default));

        // A garbled line is reported and skipped; a line without its line break (a writer cut off) is not read yet.
        await File.AppendAllTextAsync(log.Path, "{\"op\":\"upsert\",\"items\":[{]}\n{\"op\":\"remove\",\"item_ids\":[\"b\"]}\n{\"op\":\"rem", Encoding.UTF8);
        var more = await log.ReadAfterAsync(p2, 10, default);
        Assert.Equal(2, more.Count);
        Assert.Null(more[0].Change);
        Assert.Contains("not valid JSON", more[0].Problem, StringComparison.Ordinal);
        Assert.Equal(["b"], more[1].Change!.ItemIds);
        Assert.Empty(await log.ReadAfterAsync(more[1].Position, 10, default));
        Assert.Equal(more[1].Position, await log.LastPositionAsync(default));
        await File.AppendAllTextAsync(log.Path, "ove\",\"item_ids\":[\"c\"]}\n", Encoding.UTF8);
        Assert.Equal(["c"], (await log.ReadAfterAsync(more[1].Position, 10, default)).Single().Change!.ItemIds);

        await Assert.ThrowsAsync<InvalidDataException>(() => log.ReadAfterAsync("999999999", 10, default));
        await Assert.ThrowsAsync<ArgumentException>(() => log.ReadAfterAsync("12-3", 10, default));
    }

    [Fact]
    public async Task Fold_ReplacesAppendsAndDrops_InLogOrder()
    {
        using var log = new FileItemLog(Path.Combine(_dir, "log.jsonl"));
        await log.AppendAsync(ItemChange.Upsert([Item("b", "new title for b"), Item("n1")]), default);
        await log.AppendAsync(ItemChange.Remove(["a", "n1", "never"]), default);
        await log.AppendAsync(ItemChange.Upsert([Item("n2"), Item("n1", "n1 again")]), default);
        string last = await log.AppendAsync(ItemChange.Remove(["c"]), default);
        var result = await ItemLogFold.FoldAsync([Item("a"), Item("b"), Item("c")], log, progress: null, default);
        Assert.Equal(["b", "n1", "n2"], result.Items.Select(i => i.ItemId));
        Assert.Equal("new title for b", result.Items[0].Title);
        Assert.Equal("n1 again", result.Items[1].Title);
        Assert.Equal(["a", "c"], result.Removed.Order());
        Assert.Equal(last, result.Position);
        Assert.Equal(4, result.Entries);
    }
}
