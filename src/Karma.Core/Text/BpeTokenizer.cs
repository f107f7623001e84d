using System.Collections.Concurrent;
using System.Text;

namespace Karma.Core.Text;

/// <summary>
/// Byte-pair-encoding subword tokenizer trained on our own catalog text (titles, descriptions,
/// category paths, search queries); the file format and the round-trip guarantee are in TOKENIZER.md.
/// </summary>
/// <remarks>
/// <para>
/// Why subwords rather than whole words: the catalog vocabulary is open. New items bring new
/// brands and model numbers, and queries bring typos and spelling variants. A word vocabulary maps
/// all of those to one unknown token; BPE spells them with smaller known pieces, so every word made
/// of known characters stays encodable, while frequent words still get a single token each.
/// </para>
/// <para>
/// Why trained here: no pretrained tokenizer can be downloaded in this environment, and a small
/// language model trained from scratch on a catalog is best served by a vocabulary fitted to that
/// catalog anyway (a 2,000-token vocabulary spends its budget on our words, not the web's).
/// </para>
/// <para>
/// Why an end-of-word marker (<c>&lt;/w&gt;</c>, as in the original BPE for NMT): the last symbol of
/// every word carries it, so a token knows whether it ends a word ("shoe&lt;/w&gt;" differs from
/// the "shoe" in "shoelace") and decoding puts back the spaces between words without a separate
/// space token. Text is normalized first (NFKC, lower case, punctuation as words of its own; see
/// <see cref="Normalize(string)"/>), and merges never cross word boundaries.
/// </para>
/// <para>
/// Encoding is deterministic and thread-safe: the tokenizer is immutable apart from a bounded,
/// concurrent cache of encoded words, which changes speed, never results.
/// </para>
/// </remarks>
public sealed partial class BpeTokenizer : IQueryTokenizer
{
    /// <summary>Conventional file name.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>The <c>format</c> field of the file.</summary>
    public const string FormatId = "karma-bpe";

    /// <summary>The <c>version</c> field of the file.</summary>
    public const int FormatVersion = 1;

    /// <summary>The <c>normalization</c> field of the file.</summary>
    public const string NormalizationId = "nfkc-lower";

    /// <summary>Suffix of tokens that end a word; on its own, the end-of-word token.</summary>
    public const string EndOfWord = "</w>";

    /// <summary>What <see cref="Decode"/> writes for <see cref="SpecialTokens.Unk"/>.</summary>
    public const char UnknownCharacter = '\uFFFD';

    private const int MaxCachedEntries = 100_000;
    private const int MaxCachedWordLength = 48;

    private readonly string[] _vocab;
    private readonly Dictionary<string, int> _ids;
    private readonly (int Left, int Right)[] _merges;
    private readonly Dictionary<long, (int Rank, int Result)> _mergeRanks;
    private readonly Dictionary<int, int> _innerChar;
    private readonly Dictionary<int, int> _finalChar;
    private readonly string[] _pieces;
    private readonly bool[] _endsWord;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    /// <summary>Builds a tokenizer from a vocabulary and merges; throws <see cref="InvalidDataException"/> if they do not fit together.</summary>
    private BpeTokenizer(string[] vocab, (string Left, string Right)[] merges)
    {
        _vocab = vocab;
        _ids = new Dictionary<string, int>(vocab.Length, StringComparer.Ordinal);
        for (int id = 0; id < vocab.Length; id++)
        {
            string token = vocab[id];
            if (string.IsNullOrEmpty(token))
            {
                throw new InvalidDataException($"vocab entry {id} is empty");
            }

            if (!_ids.TryAdd(token, id))
            {
                throw new InvalidDataException($"duplicate vocab entry '{token}' at ids {_ids[token]} and {id}");
            }
        }

        for (int id = 0; id < SpecialTokens.Count; id++)
        {
            string expected = SpecialTokens.Texts[id];
            if (id >= vocab.Length || vocab[id] != expected)
            {
                throw new InvalidDataException(
                    $"missing special token {expected}: vocab id {id} must be '{expected}' but is " +
                    (id < vocab.Length ? $"'{vocab[id]}'" : "absent"));
            }
        }

        if (!_ids.TryGetValue(EndOfWord, out int endOfWordId))
        {
            throw new InvalidDataException($"vocab lacks the end-of-word token '{EndOfWord}'");
        }

        EndOfWordId = endOfWordId;

        _merges = new (int, int)[merges.Length];
        _mergeRanks = new Dictionary<long, (int, int)>(merges.Length);
        var mergeResults = new HashSet<string>(StringComparer.Ordinal);
        for (int rank = 0; rank < merges.Length; rank++)
        {
            var (left, right) = merges[rank];
            int leftId = MergeSymbol(left, rank);
            int rightId = MergeSymbol(right, rank);
            if (left.EndsWith(EndOfWord, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"merge #{rank} ['{left}', '{right}']: the left symbol ends a word");
            }

            string merged = left + right;
            if (!_ids.TryGetValue(merged, out int result))
            {
                throw new InvalidDataException($"merge #{rank} ['{left}', '{right}'] produces '{merged}', which is not in the vocab");
            }

            if (!_mergeRanks.TryAdd(PairKey(leftId, rightId), (rank, result)))
            {
                throw new InvalidDataException($"merge #{rank} ['{left}', '{right}'] is a duplicate of merge #{_mergeRanks[PairKey(leftId, rightId)].Rank}");
            }

            _merges[rank] = (leftId, rightId);
            mergeResults.Add(merged);
        }

        _innerChar = [];
        _finalChar = [];
        _pieces = new string[vocab.Length];
        _endsWord = new bool[vocab.Length];
        for (int id = 0; id < vocab.Length; id++)
        {
            string token = vocab[id];
            bool final = token.EndsWith(EndOfWord, StringComparison.Ordinal);
            string piece = final ? token[..^EndOfWord.Length] : token;
            _pieces[id] = piece;
            _endsWord[id] = final;
            if (id < SpecialTokens.Count || id == EndOfWordId)
            {
                continue;
            }

            if (IsSingleCodePoint(piece, out int cp))
            {
                (final ? _finalChar : _innerChar)[cp] = id;
            }
            else if (!mergeResults.Contains(token))
            {
                throw new InvalidDataException($"vocab entry '{token}' (id {id}) is neither one character nor the result of a merge");
            }
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of tokens, special tokens included; ids are 0..VocabSize-1.</summary>
    public int VocabSize => _vocab.Length;

    /// <summary>Id of the bare end-of-word token, which follows a word whose last character is not in the alphabet.</summary>
    public int EndOfWordId { get; }

    /// <summary>Number of merge rules.</summary>
    public int MergeCount => _merges.Length;

    /// <summary>The token's text as stored in the vocabulary, e.g. "shoe&lt;/w&gt;", "[PAD]".</summary>
    public string TokenText(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _vocab.Length);
        return _vocab[id];
    }

    /// <summary>Looks up a token by its vocabulary text.</summary>
    public bool TryGetTokenId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>
    /// The normal form that <see cref="Decode"/> reproduces: NFKC of the lower-cased text, split
    /// into words (see TOKENIZER.md), words joined by single spaces.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = TextNormalizer.Normalize(text.AsSpan(), out _);
        var result = new StringBuilder(normalized.Length);
        var words = new WordSplitter(normalized);
        while (words.MoveNext())
        {
            if (result.Length > 0)
            {
                result.Append(' ');
            }

            result.Append(words.Current);
        }

        return result.ToString();
    }

    /// <summary>Encodes the whole text.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var normalized = TextNormalizer.Normalize(text.AsSpan(), out _);
        var words = new WordSplitter(normalized);
        while (words.MoveNext())
        {
            ids.AddRange(EncodeWord(words.Current));
        }

        return ids.ToArray();
    }

    /// <summary>Encodes the text and keeps the first <paramref name="maxLength"/> tokens.</summary>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (maxLength > 4096)
        {
            int[] all = Encode(text);
            return all.Length <= maxLength ? all : all[..maxLength];
        }

        Span<int> buffer = stackalloc int[maxLength];
        int count = Encode(text.AsSpan(), buffer);
        return buffer[..count].ToArray();
    }

    /// <summary>
    /// Encodes into <paramref name="destination"/>, truncating to its length: the first tokens are
    /// kept (the last word may be cut) and encoding stops once the destination is full.
    /// </summary>
    /// <returns>The number of ids written.</returns>
    public int Encode(ReadOnlySpan<char> text, Span<int> destination)
    {
        int written = 0;
        if (destination.IsEmpty)
        {
            return 0;
        }

        var normalized = TextNormalizer.Normalize(text, out _);
        var words = new WordSplitter(normalized);
        while (words.MoveNext())
        {
            var ids = EncodeWord(words.Current);
            int take = Math.Min(ids.Length, destination.Length - written);
            ids.AsSpan(0, take).CopyTo(destination[written..]);
            written += take;
            if (written == destination.Length)
            {
                break;
            }
        }

        return written;
    }

    /// <summary>The number of tokens <see cref="Encode(string)"/> would return.</summary>
    public int CountTokens(ReadOnlySpan<char> text)
    {
        int count = 0;
        var normalized = TextNormalizer.Normalize(text, out _);
        var words = new WordSplitter(normalized);
        while (words.MoveNext())
        {
            count += EncodeWord(words.Current).Length;
        }

        return count;
    }

    /// <summary>
    /// Turns ids back into text: words joined by single spaces, no leading or trailing space.
    /// Special tokens are skipped, except <see cref="SpecialTokens.Unk"/>, which becomes
    /// <see cref="UnknownCharacter"/>.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder(ids.Length * 4);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_vocab.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside 0..{_vocab.Length - 1}");
            }

            if (id == SpecialTokens.Unk)
            {
                text.Append(UnknownCharacter);
            }
            else if (id >= SpecialTokens.Count)
            {
                text.Append(_pieces[id]);
                if (_endsWord[id])
                {
                    text.Append(' ');
                }
            }
        }

        if (text.Length > 0 && text[^1] == ' ')
        {
            text.Length--;
        }

        return text.ToString();
    }

    /// <summary>Ids of one normalized word; cached for short words.</summary>
    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        if (word.Length > MaxCachedWordLength)
        {
            return EncodeWordUncached(word);
        }

        if (_cacheLookup.TryGetValue(word, out int[]? cached))
        {
            return cached;
        }

        int[] ids = EncodeWordUncached(word);
        if (Volatile.Read(ref _cacheCount) < MaxCachedEntries && _cacheLookup.TryAdd(word, ids))
        {
            Interlocked.Increment(ref _cacheCount);
        }

        return ids;
    }

    private int[] EncodeWordUncached(ReadOnlySpan<char> word)
    {
        int capacity = word.Length + 1;
        Span<int> symbols = capacity <= 256 ? stackalloc int[capacity] : new int[capacity];
        int n = ToBaseSymbols(word, symbols);
        n = ApplyMerges(symbols[..n]);
        return symbols[..n].ToArray();
    }

    /// <summary>
    /// One symbol per character: the character's inner form, or its final (end-of-word) form for
    /// the last one. A character outside the alphabet becomes [UNK]; if the last character has no
    /// final form, the bare end-of-word token follows it so the word boundary survives.
    /// </summary>
    internal int ToBaseSymbols(ReadOnlySpan<char> word, Span<int> symbols)
    {
        int n = 0;
        int i = 0;
        while (i < word.Length)
        {
            Rune.DecodeFromUtf16(word[i..], out Rune rune, out int consumed);
            i += consumed;
            int cp = rune.Value;
            if (i < word.Length)
            {
                symbols[n++] = _innerChar.TryGetValue(cp, out int id) ? id : SpecialTokens.Unk;
            }
            else if (_finalChar.TryGetValue(cp, out int finalId))
            {
                symbols[n++] = finalId;
            }
            else
            {
                symbols[n++] = _innerChar.TryGetValue(cp, out int id) ? id : SpecialTokens.Unk;
                symbols[n++] = EndOfWordId;
            }
        }

        return n;
    }

    /// <summary>
    /// Repeatedly merges the adjacent pair with the lowest merge rank (the leftmost one on ties)
    /// until no pair has a merge rule. Returns the new length.
    /// </summary>
    internal int ApplyMerges(Span<int> symbols) =>
        symbols.Length <= ScanMergeLimit ? ApplyMergesByScan(symbols) : ApplyMergesByHeap(symbols);

    /// <summary>Words up to this many symbols merge by scanning (quadratic, but fastest for short words).</summary>
    internal const int ScanMergeLimit = 64;

    internal int ApplyMergesByScan(Span<int> symbols)
    {
        int n = symbols.Length;
        if (n < 2)
        {
            return n;
        }

        // ranks[i] is the rank of the pair (symbols[i], symbols[i+1]), or int.MaxValue.
        Span<int> ranks = n <= 256 ? stackalloc int[n - 1] : new int[n - 1];
        for (int i = 0; i < n - 1; i++)
        {
            ranks[i] = PairRank(symbols[i], symbols[i + 1], out _);
        }

        while (n > 1)
        {
            int best = 0;
            for (int i = 1; i < n - 1; i++)
            {
                if (ranks[i] < ranks[best])
                {
                    best = i;
                }
            }

            if (ranks[best] == int.MaxValue)
            {
                break;
            }

            PairRank(symbols[best], symbols[best + 1], out int merged);
            symbols[best] = merged;
            symbols[(best + 2)..n].CopyTo(symbols[(best + 1)..]);
            ranks[(best + 1)..(n - 1)].CopyTo(ranks[best..]);
            n--;
            if (best > 0)
            {
                ranks[best - 1] = PairRank(symbols[best - 1], symbols[best], out _);
            }

            if (best < n - 1)
            {
                ranks[best] = PairRank(symbols[best], symbols[best + 1], out _);
            }
        }

        return n;
    }

    /// <summary>
    /// Same result as <see cref="ApplyMergesByScan"/> in O(n log n): candidate pairs in a heap keyed
    /// by (rank, position), symbols in a linked list, stale heap entries skipped.
    /// </summary>
    internal int ApplyMergesByHeap(Span<int> symbols)
    {
        int n = symbols.Length;
        const int removed = -1;
        var next = new int[n];
        var prev = new int[n];
        var heap = new PriorityQueue<int, long>(n);
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1;
            prev[i] = i - 1;
            if (i + 1 < n)
            {
                Push(heap, symbols, i, i + 1);
            }
        }

        while (heap.TryDequeue(out int pos, out long key))
        {
            int right = next[pos];
            if (symbols[pos] == removed || right >= n
                || PairRank(symbols[pos], symbols[right], out int merged) != (int)(key >> 32))
            {
                continue; // stale: this position was merged away or its neighbour changed
            }

            symbols[pos] = merged;
            symbols[right] = removed;
            next[pos] = next[right];
            if (next[pos] < n)
            {
                prev[next[pos]] = pos;
                Push(heap, symbols, pos, next[pos]);
            }

            if (prev[pos] >= 0)
            {
                Push(heap, symbols, prev[pos], pos);
            }
        }

        int written = 0;
        for (int i = 0; i < n; i++)
        {
            if (symbols[i] != removed)
            {
                symbols[written++] = symbols[i];
            }
        }

        return written;

        void Push(PriorityQueue<int, long> queue, Span<int> syms, int left, int rightPos)
        {
            int rank = PairRank(syms[left], syms[rightPos], out _);
            if (rank != int.MaxValue)
            {
                queue.Enqueue(left, ((long)rank << 32) | (uint)left);
            }
        }
    }

    private int PairRank(int left, int right, out int merged)
    {
        if (_mergeRanks.TryGetValue(PairKey(left, right), out var rule))
        {
            merged = rule.Result;
            return rule.Rank;
        }

        merged = -1;
        return int.MaxValue;
    }

    private int MergeSymbol(string symbol, int rank)
    {
        if (symbol is null || !_ids.TryGetValue(symbol, out int id))
        {
            throw new InvalidDataException($"merge #{rank} refers to unknown symbol '{symbol}'");
        }

        if (id < SpecialTokens.Count || id == EndOfWordId)
        {
            throw new InvalidDataException($"merge #{rank} refers to the special symbol '{symbol}'");
        }

        return id;
    }

    private static bool IsSingleCodePoint(string text, out int codePoint)
    {
        codePoint = 0;
        if (Rune.DecodeFromUtf16(text, out Rune rune, out int consumed) != System.Buffers.OperationStatus.Done || consumed != text.Length)
        {
            return false;
        }

        codePoint = rune.Value;
        return true;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
