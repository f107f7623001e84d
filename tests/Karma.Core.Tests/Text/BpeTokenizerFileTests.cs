using System.Text;
using System.Text.Json.Nodes;
using Karma.Core.Text;

namespace Karma.Core.Tests.Text;

public sealed class BpeTokenizerFileTests : IDisposable
{
    private static readonly BpeTokenizer Trained =
        BpeTokenizer.Train(SyntheticCatalog.Texts(200, seed: 4).Append("日本 👍"), new BpeTrainingOptions { VocabSize = 300, MinFrequency = 1 });

    private readonly string _dir = Directory.CreateTempSubdirectory("karma-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveThenLoad_GivesIdenticalEncodingsAndBytes()
    {
        string path = Path.Combine(_dir, BpeTokenizer.FileName);
        Trained.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(Encoding.UTF8.GetBytes(Trained.ToJson()), bytes);
        Assert.NotEqual(0xEF, bytes[0]); // no byte-order mark

        var loaded = BpeTokenizer.Load(path);
        Assert.Equal(Trained.VocabSize, loaded.VocabSize);
        Assert.Equal(Trained.MergeCount, loaded.MergeCount);
        foreach (string text in SyntheticCatalog.Texts(100, seed: 8).Append("日本 👍 unseen ж"))
        {
            Assert.Equal(Trained.Encode(text), loaded.Encode(text));
        }

        string again = Path.Combine(_dir, "again.json");
        loaded.Save(again);
        Assert.Equal(bytes, File.ReadAllBytes(again));
    }

    [Fact]
    public void File_HasTheDocumentedShape()
    {
        var root = JsonNode.Parse(Trained.ToJson())!.AsObject();
        Assert.Equal(["format", "version", "normalization", "end_of_word", "special_tokens", "vocab", "merges"], root.Select(p => p.Key));
        Assert.Equal("karma-bpe", (string?)root["format"]);
        Assert.Equal(1, (int?)root["version"]);
        Assert.Equal("nfkc-lower", (string?)root["normalization"]);
        Assert.Equal("</w>", (string?)root["end_of_word"]);
        Assert.Equal(SpecialTokens.Texts, root["special_tokens"]!.AsArray().Select(n => (string?)n));
        var vocab = root["vocab"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(Trained.VocabSize, vocab.Count);
        Assert.Equal(Enumerable.Range(0, Trained.VocabSize).Select(Trained.TokenText), vocab);
        Assert.All(root["merges"]!.AsArray(), m => Assert.Equal(2, m!.AsArray().Count));
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("""{"version":1}""", "missing field 'format'")]
    public void Load_RejectsNonTokenizerFiles(string text, string problem)
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, text);
        var error = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(path));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "format=sentencepiece", "unsupported format 'sentencepiece'" },
        { "version=2", "unsupported version 2" },
        { "version=\"1\"", "unsupported version \"1\"" },
        { "normalization=nfc", "unsupported normalization 'nfc'" },
        { "end_of_word=@@", "unsupported end_of_word '@@'" },
        { "drop:vocab", "missing field 'vocab'" },
        { "drop:merges", "missing field 'merges'" },
        { "drop-special:7", "missing special token [REC]" },
        { "swap-special", "missing special token [UNK]" },
        { "vocab-drop:7", "missing special token [REC]: vocab id 7" },
        { "vocab-drop-eow", "lacks the end-of-word token" },
        { "vocab-duplicate", "duplicate vocab entry 'a' at ids" },
        { "vocab-empty", "vocab entry 9 is empty" },
        { "vocab-number", "vocab[9] must be a string" },
        { "vocab-orphan", "vocab entry 'zzzz' (id" },
        { "merge-unknown", "merge #0 refers to unknown symbol 'qqq'" },
        { "merge-special", "merge #0 refers to the special symbol '[SEP]'" },
        { "merge-no-result", "merge #0 ['a', 'xa'] produces 'axa', which is not in the vocab" },
        { "merge-final-left", "merge #0 ['a</w>', 'a']: the left symbol ends a word" },
        { "merge-shape", "merge #0 must be an array of two strings" },
        { "merge-duplicate", "is a duplicate of merge #0" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Load_RejectsCorruptFile_NamingTheProblem(string corruption, string problem)
    {
        var root = JsonNode.Parse(Trained.ToJson())!.AsObject();
        var vocab = root["vocab"]!.AsArray();
        var merges = root["merges"]!.AsArray();
        switch (corruption.Split(new[] { '=', ':' }, 2))
        {
            case ["drop", var field]:
                root.Remove(field);
                break;
            case [var field, var value] when corruption.Contains('=', StringComparison.Ordinal):
                root[field] = JsonNode.Parse(value.StartsWith('"') || char.IsDigit(value[0]) ? value : $"\"{value}\"");
                break;
            case ["drop-special", var index]:
                root["special_tokens"]!.AsArray().RemoveAt(int.Parse(index, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ["swap-special"]:
                root["special_tokens"]!.AsArray()[1] = "[MASK]";
                break;
            case ["vocab-drop", var index]:
                vocab.RemoveAt(int.Parse(index, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ["vocab-drop-eow"]:
                vocab.RemoveAt(SpecialTokens.Count);
                break;
            case ["vocab-duplicate"]:
                vocab.Add("a");
                break;
            case ["vocab-empty"]:
                vocab[9] = "";
                break;
            case ["vocab-number"]:
                vocab[9] = 5;
                break;
            case ["vocab-orphan"]:
                vocab.Add("zzzz");
                break;
            case ["merge-unknown"]:
                merges[0] = new JsonArray("qqq", "a");
                break;
            case ["merge-special"]:
                merges[0] = new JsonArray("[SEP]", "a");
                break;
            case ["merge-no-result"]:
                vocab.Add("xa");
                merges[0] = new JsonArray("a", "xa");
                break;
            case ["merge-final-left"]:
                merges[0] = new JsonArray("a</w>", "a");
                break;
            case ["merge-shape"]:
                merges[0] = new JsonArray("a");
                break;
            case ["merge-duplicate"]:
                merges.Add(JsonNode.Parse(merges[0]!.ToJsonString()));
                break;
            default:
                throw new ArgumentException(corruption);
        }

        string path = Path.Combine(_dir, "corrupt.json");
        File.WriteAllText(path, root.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(path));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load(Path.Combine(_dir, "absent.json")));
    }
}
