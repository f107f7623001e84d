using BenchmarkDotNet.Attributes;
using Karma.Core.Package;
using Karma.Core.Text;
using Microsoft.ML.Tokenizers;
using LibraryBpe = Microsoft.ML.Tokenizers.BpeTokenizer;
using OurBpe = Karma.Core.Text.BpeTokenizer;

namespace Karma.Benchmarks;

/// <summary>
/// Encoding the shipped model's catalog titles with our karma-bpe tokenizer against Microsoft.ML.Tokenizers'
/// BpeTokenizer given the same vocabulary and merges (both after our normalization and word split; equal output is
/// tested in LibraryBpeEquivalenceTests). The reason ours stays: TOKENIZER.md, "Microsoft.ML.Tokenizers".
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private OurBpe _ours = null!;
    private LibraryBpe _library = null!;
    private string[] _titles = [];

    /// <summary>Loads both tokenizers from the shipped model's vocabulary and merges, and its catalog titles.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string package = Path.Combine(FindRoot(), "models", "default");
        _ours = OurBpe.Load(Path.Combine(package, OurBpe.FileName));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(package, OurBpe.FileName)));
        _library = LibraryBpe.Create(new BpeOptions(Enumerable.Range(0, _ours.VocabSize).Select(id => new KeyValuePair<string, int>(_ours.TokenText(id), id)))
        {
            Merges = [.. json.RootElement.GetProperty("merges").EnumerateArray().Select(m => m[0].GetString() + " " + m[1].GetString())],
            EndOfWordSuffix = OurBpe.EndOfWord,
            UnknownToken = SpecialTokens.Texts[SpecialTokens.Unk],
        });
        _titles = [.. ItemCatalogFile.Read(Path.Combine(package, ItemCatalogFile.FileName)).Titles.Select(t => t ?? string.Empty)];
    }

    /// <summary>All 10,000 titles through our tokenizer.</summary>
    [Benchmark(Baseline = true)]
    public int Ours()
    {
        int n = 0;
        foreach (string t in _titles)
        {
            n += _ours.Encode(t).Length;
        }

        return n;
    }

    /// <summary>The same titles, normalized and split by us, merged by the library.</summary>
    [Benchmark]
    public int Library()
    {
        int n = 0;
        foreach (string t in _titles)
        {
            foreach (string word in OurBpe.Normalize(t).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                n += _library.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false).Count;
            }
        }

        return n;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Karma.Serving.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository");
    }
}
