# expect: blocked
# Red team: a module's __class__ can be reassigned; a custom module type
# must not give access to what the module hides.
import json, types
class Spy(types.ModuleType):
    def __getattribute__(self, name):
        return object.__getattribute__(self, name)
json.__class__ = Spy
for name in ('__loader__', '__spec__'):
    v = getattr(json, name, None)
    if v is not None and hasattr(v, 'get_data'):
        print('ESCAPED: a real loader', v)
if hasattr(json.__spec__, 'loader') and json.__spec__.loader is not None:
    print('ESCAPED: spec loader', json.__spec__.loader)
