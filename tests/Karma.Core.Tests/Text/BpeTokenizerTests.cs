using System.Diagnostics;
using System.Text;
using Karma.Core.Text;
using Xunit.Abstractions;

namespace Karma.Core.Tests.Text;

public sealed class TrainedTokenizer
{
    public TrainedTokenizer()
    {
        Corpus = SyntheticCatalog.Texts(1000);
        Tokenizer = BpeTokenizer.Train(Corpus, new BpeTrainingOptions { VocabSize = 800 });
    }

    public List<string> Corpus { get; }

    public BpeTokenizer Tokenizer { get; }
}

public sealed class BpeTokenizerTests(TrainedTokenizer trained, ITestOutputHelper output) : IClassFixture<TrainedTokenizer>
{
    private readonly BpeTokenizer _tok = trained.Tokenizer;

    public static TheoryData<string> Samples => new(SampleTexts);

    private static readonly string[] SampleTexts =
    [
        "",
        "   ",
        " \t\r\n\u00A0\u3000 ",
        "red shoes",
        "  Red   SHOES\tfor\nrunning  ",
        "Waterproof hiking boots, size 42 - 3.5kg!",
        "model a123 1500ml",
        "unseenword zorkavanqui tellexpi",
        "e-commerce/café & crème",
        "Café CRÈME",
        "Cafe\u0301 cre\u0300me",             // combining accents compose (NFC)
        "ｂｌｕｅ　ｍｕｇ",                    // fullwidth letters and ideographic space
        "ﬁne ﬂask",                          // ligatures decompose (NFKC)
        "naïve GRÖSSE größe",
        "x² ①",                              // compatibility digits
        "soft\u00ADhyphen zero\u200Bwidth",  // format characters are removed
        "((nested)) [brackets] {braces}",
        "\"quoted\" 'single' it's",
        "___ --- ...",
        "100% cotton #1 @home $5",
        "Ж жук",                             // characters the corpus never had
        "日本語 👍 emoji",
        "[PAD] [UNK] </w>",                  // special-token look-alikes are ordinary text
        new string('k', 300) + " " + string.Concat(Enumerable.Repeat("sunka", 80)),
    ];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decode_OfEncode_IsNormalizedTextWithUnknownCharactersMarked(string text)
    {
        int[] ids = _tok.Encode(text);
        Assert.Equal(MarkUnknown(_tok, BpeTokenizer.Normalize(text)), _tok.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Encode_IsCanonical_ReencodingTheDecodedTextGivesTheSameIds(string text)
    {
        int[] ids = _tok.Encode(text);
        if (!ids.Contains(SpecialTokens.Unk))
        {
            Assert.Equal(ids, _tok.Encode(_tok.Decode(ids)));
            Assert.Equal(BpeTokenizer.Normalize(text), _tok.Decode(ids));
        }
    }

    [Fact]
    public void UnpairedSurrogate_EncodesAsTheReplacementCharacter()
    {
        int[] ids = _tok.Encode("red\uD800shoes");
        Assert.Equal("red \uFFFD shoes", _tok.Decode(ids)); // U+FFFD is not in this alphabet: [UNK], decoded the same
        Assert.Equal([.. _tok.Encode("red"), SpecialTokens.Unk, _tok.EndOfWordId, .. _tok.Encode("shoes")], ids);
    }

    [Fact]
    public void RoundTrip_HoldsForEveryCorpusTextAndUnseenCombinations()
    {
        var rng = new Random(5);
        var words = trained.Corpus.SelectMany(t => t.Split(' ')).Distinct().ToArray();
        var texts = trained.Corpus.Take(500).ToList();
        for (int i = 0; i < 300; i++)
        {
            // Unseen words: random letters and digits glued together.
            texts.Add(string.Join(" ", Enumerable.Range(0, 4).Select(_ => words[rng.Next(words.Length)] + words[rng.Next(words.Length)])));
        }

        foreach (string text in texts)
        {
            int[] ids = _tok.Encode(text);
            Assert.DoesNotContain(SpecialTokens.Unk, ids);
            Assert.Equal(BpeTokenizer.Normalize(text), _tok.Decode(ids));
        }
    }

    [Fact]
    public void HeapMerging_ForLongWords_AgreesWithScanMerging()
    {
        // Words longer than ScanMergeLimit symbols take the O(n log n) path; both must agree everywhere.
        var rng = new Random(9);
        var words = trained.Corpus.SelectMany(t => BpeTokenizer.Normalize(t).Split(' ')).Distinct().ToArray();
        for (int trial = 0; trial < 300; trial++)
        {
            var word = new StringBuilder();
            int target = rng.Next(2, 400);
            while (word.Length < target)
            {
                string piece = words[rng.Next(words.Length)];
                word.Append(rng.Next(4) == 0 ? piece[..Math.Max(1, piece.Length / 2)] : piece);
            }

            var symbols = new int[word.Length + 1];
            int n = _tok.ToBaseSymbols(word.ToString(), symbols);
            int[] byScan = symbols[..n];
            int[] byHeap = symbols[..n];
            int scanLength = _tok.ApplyMergesByScan(byScan);
            int heapLength = _tok.ApplyMergesByHeap(byHeap);
            Assert.Equal(byScan[..scanLength], byHeap[..heapLength]);
        }
    }

    [Fact]
    public void LongWord_RoundTrips()
    {
        // The heap path for long words is what keeps this linearithmic; its speed is a benchmark matter, not a test's.
        string word = string.Concat(Enumerable.Repeat("sunkavan", 5000));
        int[] ids = _tok.Encode(word);
        Assert.Equal(word, _tok.Decode(ids));
    }

    [Fact]
    public void EmptyAndWhitespaceOnly_EncodeToNothing()
    {
        Assert.Empty(_tok.Encode(""));
        Assert.Empty(_tok.Encode(" \t\r\n\u2003 "));
        Assert.Equal("", _tok.Decode([]));
        Assert.Equal(0, _tok.CountTokens("   "));
    }

    [Theory]
    [InlineData("abжcd", "ab\uFFFDcd", 1)]        // inside a word
    [InlineData("жжcd", "\uFFFD\uFFFDcd", 2)]     // at the start
    [InlineData("abж cd", "ab\uFFFD cd", 1)]      // at the end: the word boundary survives
    [InlineData("ж", "\uFFFD", 1)]
    [InlineData("red ж shoes", "red \uFFFD shoes", 1)]
    public void UnseenCharacter_BecomesOneUnk_WithoutSwallowingNeighbours(string text, string decoded, int unks)
    {
        int[] ids = _tok.Encode(text);
        Assert.Equal(unks, ids.Count(id => id == SpecialTokens.Unk));
        Assert.Equal(decoded, _tok.Decode(ids));

        // The known part of the word encodes the way it does without the unknown character around.
        string known = text.Replace("ж", " ", StringComparison.Ordinal);
        var knownIds = _tok.Encode(known).Select(_tok.TokenText).Select(t => t.Replace(BpeTokenizer.EndOfWord, "", StringComparison.Ordinal));
        var ids2 = ids.Where(id => id != SpecialTokens.Unk).Select(_tok.TokenText).Select(t => t.Replace(BpeTokenizer.EndOfWord, "", StringComparison.Ordinal));
        Assert.Equal(string.Concat(knownIds), string.Concat(ids2));
    }

    [Fact]
    public void FrequentWords_BecomeSingleTokens()
    {
        foreach (string word in new[] { "shoes", "the", "and", "with", "waterproof", "red" })
        {
            int[] ids = _tok.Encode(word);
            Assert.Single(ids);
            Assert.Equal(word + BpeTokenizer.EndOfWord, _tok.TokenText(ids[0]));
        }

        // A word used only inside longer words ("shoe" of "shoes") ends differently from the word itself.
        Assert.NotEqual(_tok.Encode("shoes")[0], _tok.Encode("shoesx")[0]);
    }

    [Fact]
    public void SpecialTokens_HaveFixedIds()
    {
        Assert.Equal(["[PAD]", "[UNK]", "[BOS]", "[EOS]", "[SEP]", "[INT]", "[ITEM]", "[REC]"],
            Enumerable.Range(0, SpecialTokens.Count).Select(_tok.TokenText));
        Assert.Equal(0, SpecialTokens.Pad);
        Assert.Equal(1, SpecialTokens.Unk);
        Assert.Equal(2, SpecialTokens.Bos);
        Assert.Equal(3, SpecialTokens.Eos);
        Assert.Equal(4, SpecialTokens.Sep);
        Assert.Equal(5, SpecialTokens.Interest);
        Assert.Equal(6, SpecialTokens.Item);
        Assert.Equal(7, SpecialTokens.Reconstruction);
        Assert.Equal(SpecialTokens.Count, _tok.EndOfWordId);
        Assert.Equal(BpeTokenizer.EndOfWord, _tok.TokenText(_tok.EndOfWordId));

        // Text that looks like a special token is ordinary text.
        int[] ids = _tok.Encode("[PAD] [REC]");
        Assert.DoesNotContain(SpecialTokens.Pad, ids);
        Assert.DoesNotContain(SpecialTokens.Reconstruction, ids);
        Assert.Equal(MarkUnknown(_tok, "[ pad ] [ rec ]"), _tok.Decode(ids));
    }

    [Fact]
    public void Decode_SkipsSpecialTokens()
    {
        int[] ids = _tok.Encode("red shoes");
        int[] framed = [SpecialTokens.Bos, SpecialTokens.Interest, .. ids, SpecialTokens.Sep, SpecialTokens.Eos, SpecialTokens.Pad];
        Assert.Equal("red shoes", _tok.Decode(framed));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tok.Decode([_tok.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tok.Decode([-1]));
    }

    [Theory]
    [InlineData(50)]
    [InlineData(120)]
    [InlineData(800)]
    [InlineData(5000)]
    public void VocabSize_IsRespected(int requested)
    {
        var tok = requested == 800 ? _tok : BpeTokenizer.Train(trained.Corpus, new BpeTrainingOptions { VocabSize = requested });
        Assert.True(tok.VocabSize <= requested, $"{tok.VocabSize} > {requested}");
        if (requested <= 800)
        {
            Assert.Equal(requested, tok.VocabSize); // the corpus has enough pairs to fill it
        }

        foreach (string text in trained.Corpus.Take(50))
        {
            // With 50 tokens the alphabet does not fit: rare characters become [UNK].
            Assert.Equal(MarkUnknown(tok, BpeTokenizer.Normalize(text)), tok.Decode(tok.Encode(text)));
        }
    }

    [Fact]
    public void TinyVocabulary_KeepsTheMostFrequentCharacters()
    {
        var tok = BpeTokenizer.Train(["aaa bbb aaa c"], new BpeTrainingOptions { VocabSize = SpecialTokens.Count + 3, MinFrequency = 1 });
        Assert.Equal(SpecialTokens.Count + 3, tok.VocabSize);
        Assert.True(tok.TryGetTokenId("a", out _));
        Assert.True(tok.TryGetTokenId("a</w>", out _));
        Assert.False(tok.TryGetTokenId("b", out _));
        Assert.Equal("aa \uFFFD\uFFFD\uFFFD", tok.Decode(tok.Encode("aa bbb")));

        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTokenizer.Train(["a"], new BpeTrainingOptions { VocabSize = SpecialTokens.Count }));
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTokenizer.Train(["a"], new BpeTrainingOptions { MinFrequency = 0 }));
    }

    [Fact]
    public void MinFrequency_KeepsRareCharactersOutOfTheAlphabet()
    {
        var tok = BpeTokenizer.Train(["abc abc abd"], new BpeTrainingOptions { MinFrequency = 2 });
        Assert.True(tok.TryGetTokenId("c</w>", out _));
        Assert.False(tok.TryGetTokenId("d</w>", out _));
        Assert.Equal([SpecialTokens.Unk, tok.EndOfWordId], tok.Encode("abd")[^2..]);
    }

    [Fact]
    public void Training_IsDeterministicAndIndependentOfTextOrder()
    {
        var corpus = SyntheticCatalog.Texts(300, seed: 3);
        string first = BpeTokenizer.Train(corpus, new BpeTrainingOptions { VocabSize = 500 }).ToJson();
        string second = BpeTokenizer.Train(corpus, new BpeTrainingOptions { VocabSize = 500 }).ToJson();
        var shuffled = corpus.OrderBy(t => t.GetHashCode(StringComparison.Ordinal)).ToList();
        string third = BpeTokenizer.Train(shuffled, new BpeTrainingOptions { VocabSize = 500 }).ToJson();
        Assert.Equal(first, second);
        Assert.Equal(first, third);
    }

    [Fact]
    public void Truncation_KeepsTheFirstTokens()
    {
        string text = "waterproof leather boots for hiking in the mountains, size 42";
        int[] all = _tok.Encode(text);
        Assert.True(all.Length > 6);
        Assert.Equal(all.Length, _tok.CountTokens(text));
        foreach (int max in new[] { 0, 1, 5, all.Length - 1, all.Length, all.Length + 10 })
        {
            Assert.Equal(all.Take(max), _tok.Encode(text, max));
            var destination = new int[max];
            int written = _tok.Encode(text.AsSpan(), destination);
            Assert.Equal(Math.Min(max, all.Length), written);
            Assert.Equal(all.Take(max), destination.Take(written));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => _tok.Encode(text, -1));
    }

    [Fact]
    public void Encode_FromManyThreads_MatchesSequential()
    {
        // Fresh instances, so the word cache fills concurrently.
        string json = _tok.ToJson();
        var sequential = BpeTokenizer.FromJson(json);
        var shared = BpeTokenizer.FromJson(json);
        var texts = trained.Corpus.Take(2000).Concat(SampleTexts).ToArray();
        var expected = texts.Select(t => sequential.Encode(t)).ToArray();

        var results = new int[texts.Length][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = (worker * 7 + round) % texts.Length; i < texts.Length; i += 1)
                {
                    int[] ids = shared.Encode(texts[i]);
                    if (worker == 0 && round == 0)
                    {
                        results[i] = ids;
                    }
                    else
                    {
                        Assert.Equal(expected[i], ids);
                    }
                }
            }
        });

        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], results[i]);
        }
    }

    [Fact]
    public void Train_5kItemCatalog_ReportsItsTime()
    {
        var corpus = SyntheticCatalog.Texts(5000, seed: 11);
        long words = corpus.Sum(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var clock = Stopwatch.StartNew();
        var tok = BpeTokenizer.Train(corpus, new BpeTrainingOptions());
        clock.Stop();
        output.WriteLine($"{corpus.Count} texts, {words} words: vocab {tok.VocabSize}, {tok.MergeCount} merges in {clock.ElapsedMilliseconds} ms");
        Assert.InRange(tok.VocabSize, SpecialTokens.Count + 1, new BpeTrainingOptions().VocabSize); // time is printed, not asserted
    }

    /// <summary>The documented decode of a text: its normal form with characters outside the alphabet as U+FFFD.</summary>
    private static string MarkUnknown(BpeTokenizer tok, string normalized)
    {
        var sb = new StringBuilder();
        foreach (var rune in normalized.EnumerateRunes())
        {
            string c = rune.ToString();
            bool known = c == " " || tok.TryGetTokenId(c, out _) || tok.TryGetTokenId(c + BpeTokenizer.EndOfWord, out _);
            sb.Append(known ? c : "\uFFFD");
        }

        return sb.ToString();
    }
}
