"""Run a built Lambda function locally, without Docker, under the real runtime client.

`LocalLambda` serves the Lambda Runtime API on 127.0.0.1 and starts
`python -m awslambdaric app.handler` in a fresh process whose `sys.path` holds only what Lambda's
would: the function package, the layers and the runtime client.
"""

from tools.local_lambda.function import FunctionConfig
from tools.local_lambda.runner import InitError, InvokeResult, LocalLambda

__all__ = ["FunctionConfig", "InitError", "InvokeResult", "LocalLambda"]
