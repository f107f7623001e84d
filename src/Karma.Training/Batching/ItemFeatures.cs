using Karma.Core.Data;
using Karma.Core.Text;
using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Batching;

/// <summary>
/// The catalog as tensors on the host: item text tokens [N, L] (title then category words, padded), their mask,
/// raw image features [N, I], hashed id buckets [N], and training popularity. Built once per run.
/// </summary>
public sealed class ItemFeatures : IDisposable
{
    private ItemFeatures(int count, int[][] textTokens, Tensor tokens, Tensor mask, Tensor? image, Tensor hasImage,
        Tensor idBucket, float[] imageMean, float[] imageStd, Tensor? textEmbedding)
    {
        TextEmbedding = textEmbedding;
        HasImage = hasImage;
        Count = count;
        TextTokens = textTokens;
        Tokens = tokens;
        Mask = mask;
        Image = image;
        IdBucket = idBucket;
        ImageMean = imageMean;
        ImageStd = imageStd;
    }

    /// <summary>Number of items.</summary>
    public int Count { get; }

    /// <summary>Each item's text tokens, unpadded (targets of L_gen and L_rec).</summary>
    public IReadOnlyList<int[]> TextTokens { get; }

    /// <summary>[N, L] int64 token ids, right-padded with [PAD].</summary>
    public Tensor Tokens { get; }

    /// <summary>[N, L] int64, 1 for real tokens.</summary>
    public Tensor Mask { get; }

    /// <summary>[N, I] float32 raw image features, or null when the catalog has none.</summary>
    public Tensor? Image { get; }

    /// <summary>[N] bool: the item came with an image feature (others carry the catalog mean, neutral after standardisation).</summary>
    public Tensor HasImage { get; }

    /// <summary>[N, text dim] float32 sentence embeddings from the frozen text encoder, or null when the model has none.</summary>
    public Tensor? TextEmbedding { get; }

    /// <summary>[N] int64 hashed id bucket (0 when id embeddings are off).</summary>
    public Tensor IdBucket { get; }

    /// <summary>Per-dimension catalog mean of the image features.</summary>
    public float[] ImageMean { get; }

    /// <summary>Per-dimension catalog standard deviation of the image features (at least 1e-6).</summary>
    public float[] ImageStd { get; }

    /// <summary>
    /// Tokenizes and stacks the catalog; <paramref name="textEmbeddings"/> (one per item, from the frozen text encoder) is
    /// required exactly when the model has a text encoder.
    /// </summary>
    public static ItemFeatures Build(IReadOnlyList<Item> items, BpeTokenizer tokenizer, ModelConfig config, float[][]? textEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        int n = items.Count, l = config.MaxItemTokens, dim = config.ImageDim;
        if (config.HasTextEncoder != textEmbeddings is not null || (textEmbeddings is not null && textEmbeddings.Length != n))
        {
            throw new ArgumentException(config.HasTextEncoder
                ? $"the model reads {config.TextEncoder} embeddings: one per item is needed ({n}), got {textEmbeddings?.Length ?? 0}"
                : "the model has no text encoder, yet text embeddings were given", nameof(textEmbeddings));
        }

        Tensor? text2 = null;
        if (textEmbeddings is not null)
        {
            var flat = new float[n * config.TextDim];
            for (int i = 0; i < n; i++)
            {
                if (textEmbeddings[i].Length != config.TextDim)
                {
                    throw new ArgumentException($"item '{items[i].ItemId}' has a text embedding of {textEmbeddings[i].Length} numbers; the model expects {config.TextDim}",
                        nameof(textEmbeddings));
                }

                textEmbeddings[i].CopyTo(flat, i * config.TextDim);
            }

            text2 = tensor(flat, [n, config.TextDim]);
        }

        var text = new int[n][];
        var tok = new long[n * l];
        var mask = new long[n * l];
        var bucket = new long[n];
        var image = dim > 0 ? new float[n * dim] : null;
        var hasImage = new bool[n];
        for (int i = 0; i < n; i++)
        {
            var ids = ItemInputs.TokenIds(tokenizer, items[i], l);
            text[i] = ids;
            for (int j = 0; j < ids.Length; j++)
            {
                tok[i * l + j] = ids[j];
                mask[i * l + j] = 1;
            }

            bucket[i] = ItemInputs.IdBucket(items[i].ItemId, config.IdBuckets);
            if (image is not null)
            {
                var e = items[i].ImageEmbedding;
                if (e is not null)
                {
                    if (e.Length != dim)
                    {
                        throw new InvalidDataException(
                            $"item '{items[i].ItemId}' has an image_embedding of {e.Length} numbers; the model expects {dim}");
                    }

                    Array.Copy(e, 0, image, i * dim, dim);
                    hasImage[i] = true;
                }
            }
        }

        var mean = new float[Math.Max(dim, 1)];
        var std = new float[Math.Max(dim, 1)];
        Array.Fill(std, 1f);
        if (image is not null)
        {
            // Statistics over the items that have an image; the others get the mean, i.e. zero after standardisation.
            int withImage = Math.Max(1, hasImage.Count(h => h));
            for (int d = 0; d < dim; d++)
            {
                double s = 0, s2 = 0;
                for (int i = 0; i < n; i++)
                {
                    if (hasImage[i])
                    {
                        double x = image[i * dim + d];
                        s += x;
                        s2 += x * x;
                    }
                }

                double mu = s / withImage;
                mean[d] = (float)mu;
                std[d] = (float)Math.Max(Math.Sqrt(Math.Max(s2 / withImage - mu * mu, 0)), 1e-6);
                for (int i = 0; i < n; i++)
                {
                    if (!hasImage[i])
                    {
                        image[i * dim + d] = mean[d];
                    }
                }
            }
        }

        return new ItemFeatures(n, text, tensor(tok, [n, l]), tensor(mask, [n, l]),
            image is null ? null : tensor(image, [n, dim]), tensor(hasImage), tensor(bucket), mean, std, text2);
    }

    /// <summary>Rows of the catalog for the given item indices [U].</summary>
    public ItemRows Gather(Tensor indices)
        => new(Tokens.index_select(0, indices), Mask.index_select(0, indices), Image?.index_select(0, indices),
            IdBucket.index_select(0, indices), TextEmbedding?.index_select(0, indices));

    /// <inheritdoc />
    public void Dispose()
    {
        Tokens.Dispose();
        Mask.Dispose();
        Image?.Dispose();
        HasImage.Dispose();
        IdBucket.Dispose();
        TextEmbedding?.Dispose();
    }
}

/// <summary>Some rows of <see cref="ItemFeatures"/>: what the item encoder reads.</summary>
/// <param name="Tokens">Text token ids [U, L].</param>
/// <param name="Mask">Text mask [U, L].</param>
/// <param name="Image">Raw image features [U, I], or null.</param>
/// <param name="IdBucket">Hashed id buckets [U].</param>
/// <param name="TextEmbedding">Frozen text-encoder embeddings [U, text dim], or null.</param>
public sealed record ItemRows(Tensor Tokens, Tensor Mask, Tensor? Image, Tensor IdBucket, Tensor? TextEmbedding);
