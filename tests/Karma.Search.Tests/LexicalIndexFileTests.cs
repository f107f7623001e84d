using Karma.Search.Lexical;

namespace Karma.Search.Tests;

public sealed class LexicalIndexFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-lexfile-").FullName;
    private readonly List<LexicalDocument> _docs = TestCatalog.Documents(300, seed: 4);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Written()
    {
        string path = Path.Combine(_dir, "lexical_index.bin");
        if (!File.Exists(path))
        {
            LexicalIndexFile.Write(path, _docs);
        }

        return path;
    }

    [Fact]
    public void WriteThenOpen_ScoresLikeAnIndexBuiltInMemory()
    {
        using var file = LexicalIndexFile.Open(Written(), _docs.Count);
        using var memory = LexicalIndex.InMemory(_docs);
        Assert.Equal(_docs.Count, file.Count);
        foreach (string q in TestCatalog.Queries)
        {
            Assert.Equal(memory.Search(q, 20), file.Search(q, 20));
        }

        Assert.Equal([Path.GetFileName(Written())], Directory.GetFiles(_dir).Select(Path.GetFileName)); // nothing left behind
    }

    public static TheoryData<string, string> Damage => new()
    {
        { "magic", "bad magic" },
        { "truncated", "truncated" },
        { "padded", "truncated or padded" },
        { "flipped", "damaged" },
        { "huge-length", "claims" },
        { "empty", "truncated" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void Open_DamagedFile_IsRefusedNamingTheProblem(string damage, string expected)
    {
        byte[] bytes = File.ReadAllBytes(Written());
        string bad = Path.Combine(_dir, damage + ".bin");
        switch (damage)
        {
            case "magic": bytes[0] ^= 0xFF; break;
            case "truncated": bytes = bytes[..^100]; break;
            case "padded": bytes = [.. bytes, 1, 2, 3]; break;
            case "flipped": bytes[^200] ^= 0x5A; break;
            case "huge-length": BitConverter.GetBytes(long.MaxValue).CopyTo(bytes, 16 + 2 + bytes[16]); break;
            case "empty": bytes = []; break;
        }

        File.WriteAllBytes(bad, bytes);
        var e = Assert.Throws<InvalidDataException>(() => LexicalIndexFile.Open(bad, _docs.Count));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WrongRowCountOrMissingFile_IsRefused()
    {
        Assert.Contains("item table has 301", Assert.Throws<InvalidDataException>(() => LexicalIndexFile.Open(Written(), 301)).Message, StringComparison.Ordinal);
        Assert.Contains("not found", Assert.Throws<InvalidDataException>(() => LexicalIndexFile.Open(Path.Combine(_dir, "none.bin"), 1)).Message,
            StringComparison.Ordinal);
    }
}
