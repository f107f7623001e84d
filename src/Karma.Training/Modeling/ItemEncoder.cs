using Karma.Training.Configuration;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Turns an item's multimodal features into (a) the continuous token that stands for it in a history
/// sequence [d] and (b) its unit-length retrieval embedding e_i [D]. Text goes through the backbone's token
/// embeddings (mean over the item's tokens), so items never clicked still land where their words are.
/// </summary>
public sealed class ItemEncoder : nn.Module
{
    private readonly ModelConfig _config;

    /// <summary>Image-feature standardisation (catalog mean and std), saved with the weights.</summary>
    public Tensor image_mean, image_std;

    /// <summary>Projects the standardised image feature to width d (absent when the catalog has none).</summary>
    public Linear? image_proj;

    /// <summary>Projects the frozen text encoder's sentence embedding to width d (absent without a text encoder).</summary>
    public Linear? text_proj;

    /// <summary>Hashed item-id embeddings (absent when <see cref="ModelConfig.IdBuckets"/> is 0).</summary>
    public Embedding? id_embeddings;

    /// <summary>Fusion norm.</summary>
    public RmsNorm fuse_norm;

    /// <summary>Residual MLP over the fused features.</summary>
    public Linear mlp_in, mlp_out;

    /// <summary>Output heads: history token [d] and retrieval embedding [D].</summary>
    public Linear history_proj, embed_proj;

    /// <summary>Creates the encoder for a catalog whose image features have the given mean and std.</summary>
    public ItemEncoder(ModelConfig config, float[]? imageMean = null, float[]? imageStd = null) : base(nameof(ItemEncoder))
    {
        _config = config;
        int d = config.DModel;
        image_mean = imageMean is null ? zeros(Math.Max(config.ImageDim, 1)) : tensor(imageMean);
        image_std = imageStd is null ? ones(Math.Max(config.ImageDim, 1)) : tensor(imageStd);
        if (config.ImageDim > 0)
        {
            image_proj = nn.Linear(config.ImageDim, d);
        }

        if (config.HasTextEncoder)
        {
            text_proj = nn.Linear(config.TextDim, d);
        }

        if (config.IdBuckets > 0)
        {
            id_embeddings = nn.Embedding(config.IdBuckets, d);
        }

        fuse_norm = new RmsNorm(d, config.NormEps);
        mlp_in = nn.Linear(d, 2 * d);
        mlp_out = nn.Linear(2 * d, d);
        history_proj = nn.Linear(d, d);
        embed_proj = nn.Linear(d, config.EmbedDim);
        RegisterComponents();
        if (id_embeddings is not null)
        {
            using (no_grad())
            {
                nn.init.normal_(id_embeddings.weight!, 0, 0.02);
            }
        }
    }

    /// <summary>
    /// tokens/mask [N, L] (mask 1 for real tokens), image [N, I] raw features, idBucket [N], textEmbedding [N, text dim]
    /// (the frozen text encoder's; required when the model has one); returns history tokens [N, d] and unit retrieval
    /// embeddings [N, D].
    /// </summary>
    public (Tensor HistoryToken, Tensor Embedding) Forward(Embedding tokenEmbeddings, Tensor tokens, Tensor mask,
        Tensor? image, Tensor? idBucket, Tensor? textEmbedding = null)
    {
        using var scope = NewDisposeScope();
        var m = mask.unsqueeze(-1).to_type(float32);
        var text = (tokenEmbeddings.forward(tokens) * m).sum(1) / m.sum(1).clamp_min(1.0);
        var x = text;
        if (image_proj is not null && image is not null)
        {
            x = x + image_proj.forward((image - image_mean) / image_std);
        }

        if (text_proj is not null)
        {
            x = x + text_proj.forward(textEmbedding ?? throw new ArgumentNullException(nameof(textEmbedding),
                $"the item encoder reads {_config.TextEncoder} embeddings"));
        }

        if (id_embeddings is not null && idBucket is not null)
        {
            x = x + id_embeddings.forward(idBucket);
        }

        var h = fuse_norm.forward(x);
        h = h + mlp_out.forward(nn.functional.gelu(mlp_in.forward(h)));
        var hist = history_proj.forward(h);
        var emb = nn.functional.normalize(embed_proj.forward(h), 2.0, -1);
        return (hist.MoveToOuterDisposeScope(), emb.MoveToOuterDisposeScope());
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config => _config;
}
