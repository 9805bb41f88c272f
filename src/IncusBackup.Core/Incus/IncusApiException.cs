using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>An error envelope from the Incus API (or a failed operation), with the HTTP-like status code it carried.</summary>
public sealed class IncusApiException : IncusBackupException
{
    public IncusApiException(int statusCode, string message, string? errorId = null)
        : base(errorId ?? ErrorIds.IncusApiError, KindFor(statusCode), message)
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }

    public bool IsNotFound => StatusCode == 404;

    private static ErrorKind KindFor(int status) => status switch
    {
        404 => ErrorKind.NotFound,
        403 => ErrorKind.PermissionDenied,
        409 => ErrorKind.ResourceExists,
        400 => ErrorKind.InvalidArgument,
        _ => ErrorKind.OperationFailed,
    };
}
