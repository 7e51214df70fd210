"""How the Integrations tab gets a secret it shows once without it passing through Reflex:
the browser posts to an HTTP route of web/integration_routes.py, draws the secret the route
answers (or downloads it), and hands the state back only the outcome (state/integrations.py)."""
from __future__ import annotations

import json
from typing import Any, Callable

import reflex as rx
from reflex.event import EventSpec

# The script of `post_for_secret`: POST the body, then draw the secret into the box (or
# download it when there is no box); resolves to {ok, message}: never the secret.
_POST_FOR_SECRET = """(async()=>{const box=%(box)s;let d;
try{const r=await fetch(%(path)s,{method:'POST',credentials:'same-origin',
headers:{'content-type':'application/json'},body:%(body)s});
try{d=await r.json();}catch(e){d={ok:false,message:'The server answered '+r.status+': try again.'};}}
catch(e){return {ok:false,message:'The server could not be reached: try again.'};}
if(!d.ok)return {ok:false,message:d.message||'That did not work: try again.'};
if(box){const el=(p)=>document.getElementById(box+p);
el('-title').textContent=d.title;el('-value').textContent=d.secret;el('-copied').textContent='';
el('').hidden=false;el('').scrollIntoView({block:'nearest'});}
else{const a=document.createElement('a');a.href=URL.createObjectURL(new Blob([d.secret],{type:%(mime)s}));
a.download=d.filename;document.body.appendChild(a);a.click();a.remove();
setTimeout(()=>URL.revokeObjectURL(a.href),60000);}
return {ok:true,message:d.message};})()"""
PEM_TYPE = "application/x-pem-file"


def post_for_secret(path: str, body: dict, box_id: str, callback: Callable[..., Any]) -> EventSpec:
    """The browser posts `body` to `path`, shows the secret it answers in the one-time box
    `box_id` (or downloads it as the file the route names, when `box_id` is ""), then calls
    `callback` with the outcome."""
    js = _POST_FOR_SECRET % {"box": json.dumps(box_id), "path": json.dumps(path),
                             "body": json.dumps(json.dumps(body)), "mime": json.dumps(PEM_TYPE)}
    return rx.call_script(js, callback=callback)
