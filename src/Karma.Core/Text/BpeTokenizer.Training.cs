using System.Runtime.InteropServices;

namespace Karma.Core.Text;

public sealed partial class BpeTokenizer
{
    /// <summary>Trains with the default options (2,000 tokens, minimum frequency 2).</summary>
    public static BpeTokenizer Train(IEnumerable<string> texts) => Train(texts, new BpeTrainingOptions());

    /// <summary>
    /// Learns an alphabet and merge rules from <paramref name="texts"/>. The result depends only on
    /// the multiset of words in the texts (not their order), so the same text gives the same file.
    /// </summary>
    /// <remarks>
    /// Vocabulary layout: the special tokens (ids 0..7), the bare end-of-word token (8), the
    /// alphabet sorted by code point, then one token per merge in the order learned. The alphabet is
    /// every character seen at least <see cref="BpeTrainingOptions.MinFrequency"/> times (the most
    /// frequent ones if they do not all fit); a punctuation or symbol character, always a word of its
    /// own, gets only its final form "c&lt;/w&gt;", any other character both "c" and "c&lt;/w&gt;".
    /// Merges: repeatedly the most frequent adjacent pair of symbols over all words (ties: smaller
    /// left symbol text, then right, by ordinal comparison), until the vocabulary is full or no pair
    /// occurs <see cref="BpeTrainingOptions.MinFrequency"/> times. Pair counts are updated
    /// incrementally, touching only the words that contain the merged pair.
    /// </remarks>
    public static BpeTokenizer Train(IEnumerable<string> texts, BpeTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var wordCounts = CountWords(texts);
        var vocab = BuildAlphabet(wordCounts, options);
        var trainer = new MergeTrainer(vocab, wordCounts, options.MinFrequency);
        var merges = trainer.Run(options.VocabSize);
        return new BpeTokenizer(vocab.ToArray(), merges.ToArray());
    }

    private static Dictionary<string, long> CountWords(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string text in texts)
        {
            if (text is null)
            {
                continue;
            }

            var normalized = TextNormalizer.Normalize(text.AsSpan(), out _);
            var words = new WordSplitter(normalized);
            while (words.MoveNext())
            {
                CollectionsMarshal.GetValueRefOrAddDefault(lookup, words.Current, out _)++;
            }
        }

        return counts;
    }

    private static List<string> BuildAlphabet(Dictionary<string, long> wordCounts, BpeTrainingOptions options)
    {
        var charCounts = new Dictionary<int, long>();
        foreach (var (word, count) in wordCounts)
        {
            foreach (var rune in word.EnumerateRunes())
            {
                CollectionsMarshal.GetValueRefOrAddDefault(charCounts, rune.Value, out _) += count;
            }
        }

        int budget = options.VocabSize - SpecialTokens.Count - 1;
        var chosen = new List<int>();
        foreach (var (cp, _) in charCounts
                     .Where(kv => kv.Value >= options.MinFrequency)
                     .OrderByDescending(kv => kv.Value)
                     .ThenBy(kv => kv.Key))
        {
            int cost = UnicodeTables.Classify(cp) == CharClass.Isolated ? 1 : 2;
            if (cost <= budget)
            {
                chosen.Add(cp);
                budget -= cost;
            }
        }

        chosen.Sort();
        var vocab = new List<string>(options.VocabSize);
        vocab.AddRange(SpecialTokens.Texts);
        vocab.Add(EndOfWord);
        foreach (int cp in chosen)
        {
            string c = char.ConvertFromUtf32(cp);
            if (UnicodeTables.Classify(cp) != CharClass.Isolated)
            {
                vocab.Add(c);
            }

            vocab.Add(c + EndOfWord);
        }

        return vocab;
    }

    /// <summary>Merge learning over word types with incrementally maintained pair counts.</summary>
    private sealed class MergeTrainer
    {
        private readonly List<string> _vocab;
        private readonly Dictionary<string, int> _ids;
        private readonly int _minFrequency;
        private readonly int _firstMergeable;
        private readonly int[][] _words;
        private readonly int[] _wordLengths;
        private readonly long[] _wordCounts;
        private readonly Dictionary<long, long> _pairCounts = [];
        private readonly Dictionary<long, List<int>> _pairWords = [];
        private readonly PriorityQueue<long, (long Count, long Pair)> _queue;

        public MergeTrainer(List<string> vocab, Dictionary<string, long> wordCounts, int minFrequency)
        {
            _vocab = vocab;
            _ids = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int id = 0; id < vocab.Count; id++)
            {
                _ids.Add(vocab[id], id);
            }

            _minFrequency = minFrequency;
            _firstMergeable = SpecialTokens.Count + 1; // specials and the bare end-of-word never merge
            _queue = new PriorityQueue<long, (long, long)>(Comparer<(long Count, long Pair)>.Create(ComparePriority));

            // Symbols of each word type, from a tokenizer that has the alphabet but no merges yet.
            var alphabetOnly = new BpeTokenizer(vocab.ToArray(), []);
            _words = new int[wordCounts.Count][];
            _wordLengths = new int[wordCounts.Count];
            _wordCounts = new long[wordCounts.Count];
            int w = 0;
            foreach (var (word, count) in wordCounts)
            {
                var symbols = new int[word.Length + 1];
                _wordLengths[w] = alphabetOnly.ToBaseSymbols(word, symbols);
                _words[w] = symbols;
                _wordCounts[w] = count;
                var seq = symbols.AsSpan(0, _wordLengths[w]);
                for (int i = 0; i + 1 < seq.Length; i++)
                {
                    long pair = PairKey(seq[i], seq[i + 1]);
                    if (IsMergeable(seq[i], seq[i + 1]))
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _) += count;
                        AddPairWord(pair, w);
                    }
                }

                w++;
            }

            foreach (var (pair, count) in _pairCounts)
            {
                _queue.Enqueue(pair, (count, pair));
            }
        }

        public List<(string Left, string Right)> Run(int vocabSize)
        {
            var merges = new List<(string, string)>();
            var deltas = new Dictionary<long, long>();
            while (_vocab.Count < vocabSize && _queue.TryDequeue(out long pair, out var priority))
            {
                if (!_pairCounts.TryGetValue(pair, out long current) || current != priority.Count)
                {
                    continue; // stale entry; the pair's current count has its own entry
                }

                if (current < _minFrequency)
                {
                    break;
                }

                int left = (int)(pair >> 32);
                int right = (int)(uint)pair;
                string mergedText = _vocab[left] + _vocab[right];
                if (!_ids.TryGetValue(mergedText, out int merged))
                {
                    merged = _vocab.Count;
                    _vocab.Add(mergedText);
                    _ids.Add(mergedText, merged);
                }

                merges.Add((_vocab[left], _vocab[right]));
                ApplyMerge(pair, left, right, merged, deltas);
            }

            return merges;
        }

        private void ApplyMerge(long pair, int left, int right, int merged, Dictionary<long, long> deltas)
        {
            deltas.Clear();
            var words = _pairWords[pair];
            _pairWords.Remove(pair);
            foreach (int w in words)
            {
                var symbols = _words[w].AsSpan(0, _wordLengths[w]);
                if (!Contains(symbols, left, right))
                {
                    continue; // listed earlier, since changed by another merge (or listed twice)
                }

                long count = _wordCounts[w];
                for (int i = 0; i + 1 < symbols.Length; i++)
                {
                    if (IsMergeable(symbols[i], symbols[i + 1]))
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(deltas, PairKey(symbols[i], symbols[i + 1]), out _) -= count;
                    }
                }

                int n = 0;
                for (int i = 0; i < symbols.Length; i++)
                {
                    if (i + 1 < symbols.Length && symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[n++] = merged;
                        i++;
                    }
                    else
                    {
                        symbols[n++] = symbols[i];
                    }
                }

                _wordLengths[w] = n;
                symbols = symbols[..n];
                for (int i = 0; i + 1 < n; i++)
                {
                    if (IsMergeable(symbols[i], symbols[i + 1]))
                    {
                        long p = PairKey(symbols[i], symbols[i + 1]);
                        CollectionsMarshal.GetValueRefOrAddDefault(deltas, p, out _) += count;
                        if (symbols[i] == merged || symbols[i + 1] == merged)
                        {
                            AddPairWord(p, w);
                        }
                    }
                }
            }

            foreach (var (p, delta) in deltas)
            {
                if (delta == 0)
                {
                    continue;
                }

                ref long total = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, p, out _);
                total += delta;
                if (total > 0)
                {
                    _queue.Enqueue(p, (total, p));
                }
                else
                {
                    _pairCounts.Remove(p);
                }
            }
        }

        private bool IsMergeable(int left, int right) => left >= _firstMergeable && right >= _firstMergeable;

        private void AddPairWord(long pair, int word)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairWords, pair, out _);
            list ??= [];
            if (list.Count == 0 || list[^1] != word)
            {
                list.Add(word);
            }
        }

        private static bool Contains(ReadOnlySpan<int> symbols, int left, int right)
        {
            for (int i = 0; i + 1 < symbols.Length; i++)
            {
                if (symbols[i] == left && symbols[i + 1] == right)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Higher count first; ties by ordinal order of the left symbol's text, then the right's.</summary>
        private int ComparePriority((long Count, long Pair) a, (long Count, long Pair) b)
        {
            int c = b.Count.CompareTo(a.Count);
            if (c != 0 || a.Pair == b.Pair)
            {
                return c;
            }

            c = string.CompareOrdinal(_vocab[(int)(a.Pair >> 32)], _vocab[(int)(b.Pair >> 32)]);
            return c != 0 ? c : string.CompareOrdinal(_vocab[(int)(uint)a.Pair], _vocab[(int)(uint)b.Pair]);
        }
    }
}
